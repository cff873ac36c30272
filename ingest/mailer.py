"""Outgoing e-mail for reminders, over plain SMTP (STARTTLS and login when configured).

``send_mail`` never raises: a failure (server down, refused, timed out) is logged and reported as ``False`` so the
caller leaves the message for its next run.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from core.settings import Settings

log = logging.getLogger(__name__)
TIMEOUT = 15  # seconds for connecting and for each SMTP command


def mail_enabled(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def build_message(settings: Settings, to: str, subject: str, body: str) -> EmailMessage:
    """A UTF-8 text message (the subject is encoded for non-ASCII headers by the e-mail package)."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    domain = settings.smtp_from.rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(body, charset="utf-8")
    return message


def send_mail(settings: Settings, to: str, subject: str, body: str) -> bool:
    """Send one message; ``True`` when the server accepted it, ``False`` (logged) when it did not or when no SMTP
    host is configured."""
    if not mail_enabled(settings):
        return False
    message = build_message(settings, to, subject, body)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:  # socket errors, refusals, timeouts, TLS failures
        log.warning("e-mail to %s not sent via %s:%s: %s", to, settings.smtp_host, settings.smtp_port, exc)
        return False
    return True
