"""Database models, sessions and migrations."""

from models.agencies import Agency
from models.audit import AuditEvent
from models.base import Base
from models.dossiers import DOSSIER_STATUSES, Dossier, DossierAttachment, DossierCounter, DossierStep, Holiday
from models.letters import LETTER_STATUSES, Letter, LetterLabel, Page, RegisterCounter
from models.reception import RECEPTION_KINDS, Notification, ReceptionSession, ReportFile, Visit
from models.users import ROLES, ApiToken, User

__all__ = ["RECEPTION_KINDS", "Notification", "ReceptionSession", "ReportFile", "Visit", "Agency", "ApiToken", "AuditEvent", "Base", "DOSSIER_STATUSES", "Dossier", "DossierAttachment",
           "DossierCounter", "DossierStep", "Holiday", "LETTER_STATUSES", "Letter", "LetterLabel", "Page", "RegisterCounter", "ROLES", "User"]
