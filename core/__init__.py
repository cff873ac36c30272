"""The bottom layer shared by every package: settings and Vietnamese text handling."""
