"""Database models, sessions and migrations."""

from models.agencies import Agency
from models.audit import AuditEvent
from models.base import Base
from models.letters import LETTER_STATUSES, Letter, LetterLabel, Page, RegisterCounter
from models.users import ROLES, ApiToken, User

__all__ = ["Agency", "ApiToken", "AuditEvent", "Base", "LETTER_STATUSES", "Letter", "LetterLabel", "Page", "RegisterCounter", "ROLES", "User"]
