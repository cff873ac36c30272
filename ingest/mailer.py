"""Outgoing e-mail for reminders, over plain SMTP (STARTTLS and login when configured).

``send_mail`` sends one message and never raises: a failure (server down, refused, timed out) is logged and
reported as ``False``, so the caller leaves the message for its next run. ``MailSession`` sends a batch over one
connection: it raises ``MailUnavailable`` (already logged) when the server cannot be reached or drops the
connection, and reports a refused message as ``False`` without stopping the batch.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.header import Header
from email.message import Message
from email.mime.text import MIMEText
from email.utils import formatdate, make_msgid

from core.settings import Settings

log = logging.getLogger(__name__)
TIMEOUT = 15  # seconds for connecting and for each SMTP command


class MailUnavailable(Exception):  # noqa: N818 - reads as a state, like TimeoutError
    """The SMTP server could not be reached, refused the login, or dropped the connection."""


def mail_enabled(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def build_message(settings: Settings, to: str, subject: str, body: str) -> Message:
    """A UTF-8 text message. The subject is encoded with the legacy ``Header`` class: the modern e-mail policy's
    folding drops the space between two encoded words in long Vietnamese subjects ("đến hạn" -> "đếnhạn")."""
    message = MIMEText(body, "plain", "utf-8")
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = Header(subject, "utf-8")
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2].strip("> ") or "localhost")
    return message


class MailSession:
    """One SMTP connection for a batch of messages: ``with MailSession(settings) as mail: mail.send(...)``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def _where(self) -> str:
        return f"{self.settings.smtp_host}:{self.settings.smtp_port}"

    def __enter__(self) -> MailSession:
        settings = self.settings
        if not mail_enabled(settings):
            raise MailUnavailable("no SMTP host configured")
        try:
            self.smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT)
            if settings.smtp_starttls:
                self.smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                self.smtp.login(settings.smtp_user, settings.smtp_password or "")
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("SMTP server %s unavailable: %s", self._where(), exc)
            self._close()
            raise MailUnavailable(str(exc)) from exc
        return self

    def send(self, to: str, subject: str, body: str) -> bool:
        """``True`` when the server accepted the message; ``False`` (logged) when it refused it."""
        if self.smtp is None:
            raise RuntimeError("use MailSession as a context manager")
        try:
            self.smtp.send_message(build_message(self.settings, to, subject, body))
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError,
                smtplib.SMTPNotSupportedError, UnicodeError) as exc:
            log.warning("e-mail to %s refused by %s: %s", to, self._where(), exc)
            return False
        except (OSError, smtplib.SMTPException) as exc:  # disconnected, timed out
            log.warning("SMTP server %s failed while sending to %s: %s", self._where(), to, exc)
            raise MailUnavailable(str(exc)) from exc
        return True

    def _close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None

    def __exit__(self, *exc_info: object) -> None:
        self._close()


def send_mail(settings: Settings, to: str, subject: str, body: str) -> bool:
    """Send one message; ``True`` when the server accepted it, ``False`` (logged) when it did not or when no SMTP
    host is configured. Never raises for a mail failure."""
    if not mail_enabled(settings):
        return False
    try:
        with MailSession(settings) as mail:
            return mail.send(to, subject, body)
    except MailUnavailable:
        return False
