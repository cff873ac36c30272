"""``donthu check``: verify that the database, the file store, the job queue and the search index agree, and
repair what can be repaired from what is left.

Run it after a crash, a restore or an outage. Every finding names what is wrong and whether ``--repair`` fixes
it. Repairs only ever redo work from the originals and the database (requeue, reindex, remove leftovers); an
original that is missing or damaged cannot be remade and stays a finding until it is restored from a backup.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import select

from ingest import pipeline
from ingest.indexing import index_letter, text_hash
from ingest.services import Services
from ingest.storage import sha256_file
from ingest.sweeper import sweep
from models import DossierAttachment, Letter, Page, ReportFile

log = logging.getLogger(__name__)

GRACE_SECONDS = 600  # a file this fresh may belong to an intake still committing: never touch it
BATCH = 1000

# kind -> (what it means, what --repair does; None: it cannot be repaired here)
KINDS: dict[str, tuple[str, str | None]] = {
    "file_missing": ("the letter's original file is not on disk", None),
    "file_damaged": ("the original's bytes no longer match its SHA-256", None),
    "temp_file": ("a half-written temporary file was left behind", "deleted"),
    "orphan_file": ("an original on disk belongs to no letter (its intake did not commit)", "moved to quarantine/"),
    "orphan_pages": ("page images on disk belong to no letter", "deleted"),
    "page_image_missing": ("a read page's preview image is missing", None),
    "attachment_missing": ("a file attached to a dossier is not on disk", None),
    "report_file_missing": ("a filed report's XLSX or PDF is not on disk", "filed again"),
    "failed_without_reason": ("a failed letter or page records no reason", "reason recorded"),
    "stuck": ("an unfinished letter whose job is gone", "queued again"),
    "stage_given_up": ("a post-OCR stage failed every retry", "run again"),
    "index_missing": ("a finished letter is not in the search index", "indexed"),
    "index_orphan": ("the index holds a letter the database does not have as finished", "removed from the index"),
    "index_stale": ("the indexed document disagrees with the database", "indexed again"),
    "queue_unreachable": ("Redis did not answer, so stuck jobs were not checked", None),
}


@dataclass
class Finding:
    kind: str
    detail: str
    letter_id: int | None = None
    path: str | None = None
    repaired: bool = False

    @property
    def repairable(self) -> bool:
        return KINDS[self.kind][1] is not None


@dataclass
class CheckReport:
    letters: int = 0
    settled: int = 0
    indexed: int = 0
    findings: list[Finding] = field(default_factory=list)

    def add(self, kind: str, detail: str, **where: object) -> Finding:
        finding = Finding(kind, detail, **where)  # type: ignore[arg-type]
        self.findings.append(finding)
        return finding

    @property
    def unresolved(self) -> list[Finding]:
        return [f for f in self.findings if not f.repaired]

    @property
    def ok(self) -> bool:
        return not self.unresolved

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.findings:
            out[f.kind] = out.get(f.kind, 0) + 1
        return out

    def as_dict(self) -> dict:
        return {"ok": self.ok, "letters": self.letters, "settled": self.settled, "indexed": self.indexed,
                "counts": self.counts(), "unresolved": len(self.unresolved),
                "findings": [asdict(f) for f in self.findings]}


def check(svc: Services, *, repair: bool = False, deep: bool = False, grace_seconds: float = GRACE_SECONDS,
          jobs: bool = True) -> CheckReport:
    """Verify everything (``deep`` also re-hashes every original); with ``repair``, fix what can be fixed.
    Files younger than ``grace_seconds`` are left out of the leftovers' search (0 when nothing else runs);
    ``jobs=False`` leaves the queue out (a restore: the queue is new and the workers' sweeper fills it)."""
    report = CheckReport()
    known_shas = _check_letters(svc, report, repair=repair, deep=deep)
    _check_store(svc, report, known_shas, repair=repair, grace_seconds=grace_seconds)
    if jobs:
        _check_jobs(svc, report, repair=repair)
    _check_index(svc, report, repair=repair)
    return report


# -- letters and their files ----------------------------------------------------------------------------------
def _letter_rows(svc: Services) -> Iterator[list[Letter]]:
    last = 0
    while True:
        with svc.db.read() as session:
            rows = session.scalars(select(Letter).where(Letter.id > last).order_by(Letter.id).limit(BATCH)).all()
            session.expunge_all()
        if not rows:
            return
        last = rows[-1].id
        yield list(rows)


def _check_letters(svc: Services, report: CheckReport, *, repair: bool, deep: bool) -> set[str]:
    """Each letter's original (present, right size; right hash with ``deep``) and failure reasons."""
    shas: set[str] = set()
    for rows in _letter_rows(svc):
        for letter in rows:
            report.letters += 1
            shas.add(letter.sha256)
            if letter.status in ("ocr_done", "failed"):
                report.settled += 1
            path = svc.store.path(letter.storage_path)
            if not path.is_file():
                report.add("file_missing", f"{letter.register_no}: {letter.storage_path}", letter_id=letter.id,
                           path=letter.storage_path)
            elif path.stat().st_size != letter.size_bytes or (deep and sha256_file(path) != letter.sha256):
                report.add("file_damaged", f"{letter.register_no}: {letter.storage_path}", letter_id=letter.id,
                           path=letter.storage_path)
            if letter.status == "failed" and not (letter.error or "").strip():
                finding = report.add("failed_without_reason", f"{letter.register_no} failed with no reason",
                                     letter_id=letter.id)
                if repair:
                    _record_reason(svc, letter.id)
                    finding.repaired = True
    _check_page_images(svc, report)
    _check_dossier_and_report_files(svc, report, repair=repair)
    return shas


def _record_reason(svc: Services, letter_id: int) -> None:
    with svc.db.write() as session:
        letter = session.get(Letter, letter_id)
        if letter is not None and letter.status == "failed" and not (letter.error or "").strip():
            reasons = [f"page {p.index + 1}: {p.error}" for p in letter.pages if p.status == "failed" and p.error]
            letter.error = "; ".join(reasons) or "failed; the reason was not recorded (found by donthu check)"


def _check_page_images(svc: Services, report: CheckReport) -> None:
    with svc.db.read() as session:
        rows = session.execute(
            select(Page.letter_id, Page.index, Page.image_path).where(Page.status == "done", Page.image_path.isnot(None))
        ).all()
    for letter_id, index, image_path in rows:
        if not svc.store.path(image_path).is_file():
            report.add("page_image_missing", f"letter {letter_id} page {index + 1}: {image_path}",
                       letter_id=letter_id, path=image_path)


def _check_dossier_and_report_files(svc: Services, report: CheckReport, *, repair: bool) -> None:
    with svc.db.read() as session:
        attachments = session.execute(select(DossierAttachment.dossier_id, DossierAttachment.storage_path)).all()
        filed = session.execute(select(ReportFile.id, ReportFile.xlsx_path, ReportFile.pdf_path)).all()
    for dossier_id, rel in attachments:
        if not svc.store.path(rel).is_file():
            report.add("attachment_missing", f"dossier {dossier_id}: {rel}", path=rel)
    for report_id, *paths in filed:
        missing = [rel for rel in paths if rel and not svc.store.path(rel).is_file()]
        if missing:
            finding = report.add("report_file_missing", ", ".join(missing), path=missing[0])
            if repair:
                finding.repaired = _file_report_again(svc, report_id)


def _file_report_again(svc: Services, report_id: int) -> bool:
    """Forget the filed report whose files are gone and file it again from the database."""
    from core.periods import Period
    from ingest.reports.filing import file_report

    with svc.db.write() as session:
        row = session.get(ReportFile, report_id)
        if row is None:
            return True
        period = Period(kind=row.kind, start=row.start, end=row.end, statistical=row.statistical, label=row.label)
        by = row.generated_by
        session.delete(row)
    file_report(svc, period, by=by)
    return True


# -- the file store ---------------------------------------------------------------------------------------------
def _old_enough(path: Path, now: float, grace_seconds: float) -> bool:
    try:
        return now - path.stat().st_mtime >= grace_seconds
    except FileNotFoundError:
        return False


def _check_store(svc: Services, report: CheckReport, known_shas: set[str], *, repair: bool,
                 grace_seconds: float) -> None:
    """Leftovers of interrupted writes: temporary files, originals no letter owns, page images of no letter."""
    root = svc.settings.originals_dir
    if not root.is_dir():
        return
    now = time.time()
    data_dir = svc.settings.data_dir
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(data_dir))
        if path.name.startswith(".tmp-"):
            if path.is_file() and _old_enough(path, now, grace_seconds):
                finding = report.add("temp_file", rel, path=rel)
                if repair:
                    path.unlink(missing_ok=True)
                    finding.repaired = True
            continue
        if path.parent.parent != root:
            continue  # inside a .pages folder: judged with the folder
        sha = path.name.split(".", 1)[0]
        if path.is_dir() and path.name.endswith(".pages"):
            if sha not in known_shas and _old_enough(path, now, grace_seconds):
                finding = report.add("orphan_pages", rel, path=rel)
                if repair:
                    shutil.rmtree(path, ignore_errors=True)
                    finding.repaired = True
        elif path.is_file() and sha not in known_shas and _old_enough(path, now, grace_seconds):
            finding = report.add("orphan_file", rel, path=rel)
            if repair:
                target = data_dir / "quarantine" / path.name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(path), target)  # kept, not deleted: the person who sent it may ask for it
                finding.repaired = True


# -- jobs -------------------------------------------------------------------------------------------------------
def _check_jobs(svc: Services, report: CheckReport, *, repair: bool) -> None:
    """Unfinished letters whose job is gone (the sweeper's test), and stages that gave up."""
    try:
        swept = sweep(svc, dry_run=True)
    except Exception as exc:  # Redis down: say so rather than guess
        report.add("queue_unreachable", f"{type(exc).__name__}: {exc}")
        return
    stuck = sorted(set(swept.letters_queued) | {i for i, _ in swept.pages_queued} | set(swept.stages_queued)
                   | set(swept.assembled))
    findings = [report.add("stuck", f"letter {i}", letter_id=i) for i in stuck]
    given_up = _stages_given_up(svc)
    retry_findings = [report.add("stage_given_up", f"letter {i}: {', '.join(names)}", letter_id=i)
                      for i, names in given_up]
    if not repair:
        return
    from ingest.dispatch import RQDispatcher

    if findings:
        sweep(svc)
        for finding in findings:
            finding.repaired = True
    for finding, (letter_id, _) in zip(retry_findings, given_up, strict=True):
        finding.repaired = pipeline.retry_letter(svc, RQDispatcher(svc), letter_id)


def _stages_given_up(svc: Services) -> list[tuple[int, list[str]]]:
    out: list[tuple[int, list[str]]] = []
    with svc.db.read() as session:
        letters = session.scalars(
            select(Letter).where(Letter.status == "ocr_done", Letter.stages_done.is_(False)).order_by(Letter.id)
        ).all()
        for letter in letters:
            names = [n for n in pipeline.pending_stages(letter)
                     if (letter.stages or {}).get(n, {}).get("status") == "failed"
                     and int((letter.stages or {}).get(n, {}).get("attempts", 0)) > svc.settings.job_retries]
            if names:
                out.append((letter.id, names))
    return out


# -- the search index -------------------------------------------------------------------------------------------
def _expected(letter: Letter) -> dict[str, object]:
    """What the index must say of a letter, from the database alone (cheap: no extraction)."""
    text = letter.full_text or ""
    return {"status": letter.status, "channel": letter.channel, "dossier_id": letter.dossier_id,
            "type": letter.type, "agency": letter.agency, "field": letter.field,
            "text_hash": text_hash(text) if text.strip() else None}


def _check_index(svc: Services, report: CheckReport, *, repair: bool) -> None:
    """Every finished letter indexed as the database has it; nothing else in the index."""
    indexed = svc.search.ids()
    report.indexed = len(indexed)
    finished: set[int] = set()
    to_index: list[Finding] = []
    for rows in _letter_rows(svc):
        done = [row for row in rows if row.status == "ocr_done"]
        docs = svc.search.get_many([row.id for row in done if row.id in indexed])
        for letter in done:
            finished.add(letter.id)
            indexing_done = (letter.stages or {}).get("index", {}).get("status") == "done"
            doc = docs.get(letter.id)
            if doc is None:
                if indexing_done:  # not yet indexed is the pipeline's business (the sweeper watches it)
                    to_index.append(report.add("index_missing", letter.register_no, letter_id=letter.id))
                continue
            differs = [k for k, v in _expected(letter).items() if getattr(doc, k) != v]
            if differs:
                to_index.append(report.add("index_stale", f"{letter.register_no}: {', '.join(differs)}",
                                           letter_id=letter.id))
    orphans = sorted(indexed - finished)
    orphan_findings = [report.add("index_orphan", f"letter {i}", letter_id=i) for i in orphans]
    if not repair:
        return
    for finding in to_index:
        index_letter(svc, finding.letter_id)
        finding.repaired = True
    if orphans:
        svc.search.delete(orphans)
        for finding in orphan_findings:
            finding.repaired = True
