"""Flask app factory, blueprints, templates, JSON API and the ``donthu`` CLI."""
