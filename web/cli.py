"""The ``donthu`` command line. Commands call the same service functions the jobs and views call."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import click

from core.settings import CHANNELS
from ingest.errors import DonthuError, IntakeError
from ingest.services import Services


def _svc() -> Services:
    return Services.from_env()


def _ready_svc() -> Services:
    """Services on a database created or upgraded first: a command run on a fresh data dir answers plainly
    ("letter 1 does not exist") instead of failing on a missing table."""
    from web.bootstrap import prepare_database

    svc = _svc()
    prepare_database(svc)
    return svc


@contextlib.contextmanager
def _as_click_error() -> Iterator[None]:
    """A DonthuError becomes click's plain "Error: message" and exit code 1, not a traceback."""
    try:
        yield
    except DonthuError as exc:
        raise click.ClickException(exc.message) from exc


def _emit(obj: dict) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False))


@click.group()
@click.option("--data-dir", type=click.Path(file_okay=False), help="Data folder (overrides DONTHU_DATA_DIR).")
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
def main(data_dir: str | None, verbose: bool) -> None:
    """Donthu: tiếp nhận, phân loại, tra cứu và theo dõi đơn thư."""
    if data_dir:
        os.environ["DONTHU_DATA_DIR"] = str(Path(data_dir).resolve())
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stderr)


@main.command()
def migrate() -> None:
    """Create or upgrade the database and seed the agency catalog."""

    _ready_svc()
    click.echo("database is up to date")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--channel", type=click.Choice(CHANNELS), default="post", show_default=True)
@click.option("--received", type=click.DateTime(formats=["%Y-%m-%d"]), help="Date received (default today).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file.")
@click.option("--wait", is_flag=True, help="Wait until each letter is read (or failed) by the workers.")
@click.option("--sync", is_flag=True, help="Run the whole pipeline in this process, without Redis.")
@click.option("--timeout", type=float, default=900, show_default=True, help="Seconds to wait with --wait.")
def ingest(files: tuple[str, ...], channel: str, received, as_json: bool, wait: bool, sync: bool,
           timeout: float) -> None:
    """Register FILES in the order given and queue them for reading."""
    from ingest.dispatch import dispatch_new_letter
    from ingest.intake import register_file

    svc = _ready_svc()
    received_date: date | None = received.date() if received else None
    outcomes: list[dict] = []
    refused = False
    for name in files:
        try:
            data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
            result = register_file(svc, data, name, channel=channel, received=received_date, actor="cli")
        except (IntakeError, OSError) as exc:
            refused = True
            message = exc.message if isinstance(exc, IntakeError) else f"cannot read file: {exc.strerror or exc}"
            outcome = {"file": name, "error": message}
            if isinstance(exc, IntakeError):
                outcome["code"] = exc.code
            outcomes.append(outcome)
            if not (wait or sync):
                _print_outcome(outcome, as_json)
            continue
        if result.duplicate_of is None:
            dispatch_new_letter(svc, result.letter_id, result.job_id, sync=sync)
        outcome = {"file": name, **result.as_dict()}
        outcomes.append(outcome)
        if not (wait or sync):
            _print_outcome(outcome, as_json)
    failed = False
    if wait or sync:
        for outcome in outcomes:
            if "letter_id" in outcome:
                letter_id = outcome["letter_id"]
                outcome["status"] = _current_status(svc, letter_id) if sync else _wait_settled(svc, letter_id, timeout)
                failed = failed or outcome["status"] == "failed"
            _print_outcome(outcome, as_json)
    sys.exit(1 if refused else (2 if failed else 0))


def _print_outcome(outcome: dict, as_json: bool) -> None:
    if as_json:
        _emit(outcome)
    elif "error" in outcome:
        click.echo(f"REFUSED  {outcome['file']}: {outcome['error']}", err=True)
    else:
        dup = f"  (same file as letter {outcome['duplicate_of']})" if outcome["duplicate_of"] else ""
        click.echo(f"{outcome['register_no']}  letter {outcome['letter_id']}  {outcome['status']}  "
                   f"{outcome['file']}{dup}")


def _current_status(svc: Services, letter_id: int) -> str | None:
    from models import Letter

    with svc.db.read() as session:
        letter = session.get(Letter, letter_id)
        return letter.status if letter else None


def _wait_settled(svc: Services, letter_id: int, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while True:
        status = _current_status(svc, letter_id) or "missing"
        if status in ("ocr_done", "failed", "missing") or time.monotonic() > deadline:
            return status
        time.sleep(0.5)


@main.command()
@click.argument("letter_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def status(letter_id: int, as_json: bool) -> None:
    """Show a letter's progress through the pipeline."""
    from web.letter_status import letter_status

    info = letter_status(_ready_svc(), letter_id)
    if info is None:
        raise click.ClickException(f"letter {letter_id} does not exist")
    if as_json:
        _emit(info)
        return
    click.echo(f"{info['register_no']}  {info['status']}  pages {info['pages_done']}/{info['page_count']}")
    for page in info["pages"]:
        extra = f"  {page['error']}" if page.get("error") else ""
        click.echo(f"  page {page['index'] + 1}: {page['status']}{extra}")
    for name, stage in info["stages"].items():
        click.echo(f"  stage {name}: {stage.get('status')}")
    if info["error"]:
        click.echo(f"  error: {info['error']}")


@main.command()
@click.argument("letter_ids", nargs=-1, type=int, required=True)
@click.option("--sync", is_flag=True, help="Re-run in this process, without Redis.")
def retry(letter_ids: tuple[int, ...], sync: bool) -> None:
    """Re-run failed letters (their failed pages or stages)."""
    from ingest.dispatch import InlineDispatcher, RQDispatcher
    from ingest.pipeline import retry_letter

    svc = _ready_svc()
    dispatch = InlineDispatcher(svc) if sync else RQDispatcher(svc)
    for letter_id in letter_ids:
        with _as_click_error():
            again = retry_letter(svc, dispatch, letter_id)
        click.echo(f"letter {letter_id}: {'queued again' if again else 'not failed, nothing to do'}")


@main.command()
@click.option("--json", "as_json", is_flag=True)
def sweep(as_json: bool) -> None:
    """Re-queue letters whose job vanished (worker killed, Redis restarted)."""
    from ingest.sweeper import sweep as run_sweep

    report = run_sweep(_ready_svc())
    if as_json:
        _emit(report.as_dict())
    else:
        click.echo(f"re-queued {len(report.letters_queued)} letters, {len(report.pages_queued)} pages, "
                   f"{len(report.stages_queued)} stage runs; assembled {len(report.assembled)}")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
@click.option("--jobs", type=int, default=0, help="Pages read in parallel (default: one per core).")
def ocr(file: str, as_json: bool, jobs: int) -> None:
    """Read FILE in this process without storing it."""
    from ingest.ocr_file import ocr_file

    svc = _svc()
    data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    with _as_click_error():
        pages = ocr_file(data, file, svc.settings, jobs=jobs or svc.settings.worker_count)
    text = "\n\n".join(p.text for p in pages).strip()
    if as_json:
        _emit({"pages": [p.as_json() for p in pages], "text": text})
    else:
        click.echo(text)


def _text_of(source: str, svc: Services) -> str:
    """A letter's text from a text file, stdin (``-``), or any file intake accepts (read like ``donthu ocr``)."""
    if source == "-":
        return sys.stdin.read()
    data = Path(source).read_bytes()
    from ingest.sniff import TEXT, decode_text, media_type_of

    if media_type_of(data, source) in (TEXT, None):
        return decode_text(data)
    from ingest.ocr_file import ocr_file

    return "\n\n".join(p.text for p in ocr_file(data, source, svc.settings, jobs=svc.settings.worker_count))


@main.command()
@click.argument("source", required=False, default="-")
@click.option("--json", "as_json", is_flag=True, help="Print the classification as JSON.")
@click.option("--jsonl", "jsonl", type=click.Path(dir_okay=False), help='Classify lines {"id": ..., "text": ...}.')
def classify(source: str, as_json: bool, jsonl: str | None) -> None:
    """Classify a letter: type, agency, field, flags and extracted facts."""
    from ingest.classification import current_classifier

    svc = _svc()
    model = current_classifier(svc.settings)
    if jsonl:
        handle = sys.stdin if jsonl == "-" else open(jsonl, encoding="utf-8")  # noqa: SIM115
        with handle:
            rows = [json.loads(line) for line in handle if line.strip()]
        for row, prediction in zip(rows, model.predict_many([r["text"] for r in rows]), strict=True):
            _emit({"id": row.get("id"), **prediction})
        return
    try:
        text = _text_of(source, svc)
    except (OSError, DonthuError) as exc:
        raise click.ClickException(getattr(exc, "message", None) or str(exc)) from exc
    prediction = model.predict(text)
    if as_json:
        _emit(prediction)
        return
    t, a, f = prediction["type"], prediction["agency"], prediction["field"]
    click.echo(f"loại đơn: {t['label']} ({t['confidence']:.2f})  cơ quan: {a['label']} ({a['confidence']:.2f})  "
               f"lĩnh vực: {f['label']} ({f['confidence']:.2f})")
    click.echo(f"cờ: {', '.join(k for k, v in prediction['flags'].items() if v) or '-'}  "
               f"cần duyệt: {'có' if prediction['needs_review'] else 'không'}")
    click.echo("lý do: " + "; ".join(prediction["explanation"]))


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.option("--force", is_flag=True, help="Make the new model current even if it scores lower.")
def train(as_json: bool, force: bool) -> None:
    """Retrain on the corpus plus reviewers' labels; replace the model only if it is not worse."""
    from ingest.classification import retrain

    svc = _ready_svc()
    result = retrain(svc, force=force)
    if as_json:
        _emit(result.as_dict())
        return
    verdict = "now current" if result.accepted else "kept aside: worse than the current model on the held-out split"
    click.echo(f"model {result.version} trained on {result.trained_on} letters ({result.reviewed} reviewed) in "
               f"{result.seconds}s: {verdict}")


@main.command()
@click.option("--data", "data_file", type=click.Path(dir_okay=False, exists=True), required=True,
              help="JSONL of labelled letters (text, type, agency, field, ...).")
@click.option("--json", "as_json", is_flag=True)
def evaluate(data_file: str, as_json: bool) -> None:
    """Score the current model on labelled letters, beside the paperless-ngx baseline trained on the same data."""
    from classify.corpus import load, training_records
    from classify.evaluate import PaperlessBaseline, score_extraction, score_predictions
    from classify.training import reviewed_examples
    from ingest.classification import current_classifier

    svc = _ready_svc()
    with open(data_file, encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh if line.strip()]
    model = current_classifier(svc.settings)
    texts = [r["text"] for r in records]
    ours = score_predictions(records, model.predict_many(texts))
    with svc.db.read() as session:
        training = training_records(load()) + reviewed_examples(session)
    baseline = score_predictions(records, PaperlessBaseline().fit(training).predict_many(texts))
    report = {"data": data_file, "n": len(records), "model_version": model.version, "model": ours,
              "baseline": {"recipe": "paperless-ngx: CountVectorizer(1-2 grams, min_df=0.01) + MLPClassifier",
                           **baseline},
              "extraction": score_extraction(records)}
    if as_json:
        _emit(report)
        return
    for name, scores in (("donthu", ours), ("paperless baseline", baseline)):
        click.echo(f"{name:<20} type macro-F1 {scores['type']['macro_f1']:.3f}  acc {scores['type']['accuracy']:.3f}  "
                   f"agency top-1 {scores['agency']['top1']:.3f} top-3 {scores['agency']['top3']:.3f}  "
                   f"field macro-F1 {scores['field']['macro_f1']:.3f}")
    for fact, s in report["extraction"].items():
        click.echo(f"  {fact:<17} P {s['precision']:.3f}  R {s['recall']:.3f}"
                   + (f"  exact {s['exact_match']:.3f}" if "exact_match" in s else ""))


@main.command()
@click.argument("query", nargs=-1)
@click.option("--type", "type_", help="Letter type (khieu_nai, to_cao, kien_nghi, phan_anh).")
@click.option("--agency", help="Handler agency code.")
@click.option("--field", "field_", help="Subject field code.")
@click.option("--status", help="Letter status.")
@click.option("--channel", type=click.Choice(CHANNELS))
@click.option("--dossier", type=int, help="Dossier id.")
@click.option("--from", "date_from", type=click.DateTime(formats=["%Y-%m-%d"]), help="Received on or after.")
@click.option("--to", "date_to", type=click.DateTime(formats=["%Y-%m-%d"]), help="Received on or before.")
@click.option("--sort", type=click.Choice(["relevance", "date"]), default="relevance", show_default=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--offset", type=click.IntRange(0), default=0)
@click.option("--json", "as_json", is_flag=True)
def search(query: tuple[str, ...], type_, agency, field_, status, channel, dossier, date_from, date_to,  # noqa: ANN001
           sort: str, limit: int, offset: int, as_json: bool) -> None:
    """Search letters by name, content or number, with or without diacritics."""
    from search.base import SearchQuery

    svc = _ready_svc()
    result = svc.search.query(SearchQuery(
        text=" ".join(query), type=type_, agency=agency, field=field_, status=status, channel=channel,
        dossier_id=dossier, date_from=date_from.date() if date_from else None,
        date_to=date_to.date() if date_to else None, sort=sort, limit=limit, offset=offset))
    if as_json:
        from web.search_page import result_json

        _emit(result_json(result))
        return
    click.echo(f"{result.total} đơn")
    for hit in result.hits:
        click.echo(f"{hit.register_no}  #{hit.letter_id}  {hit.sender or '-'}  ({hit.score:.2f})")
        click.echo("    " + hit.snippet.replace("<mark>", "[").replace("</mark>", "]"))


@main.command()
@click.argument("letter_ids", nargs=-1, type=int)
@click.option("--text-file", type=click.Path(dir_okay=False, exists=True, allow_dash=True),
              help="Check a text that is not stored (- for stdin).")
@click.option("--json", "as_json", is_flag=True, help="One JSON line per letter.")
@click.option("--recheck", is_flag=True, help="Judge again now instead of printing the stored result.")
def duplicates(letter_ids: tuple[int, ...], text_file: str | None, as_json: bool, recheck: bool) -> None:
    """Earlier letters this one repeats (same sender, same matter) or is related to."""
    from ingest.duplicates import check_letter, check_text
    from models import Letter

    if not letter_ids and not text_file:
        raise click.UsageError("give letter ids or --text-file")
    svc = _ready_svc()
    outcomes: list[dict] = []
    if text_file:
        text = sys.stdin.read() if text_file == "-" else Path(text_file).read_text(encoding="utf-8")
        outcomes.append({"letter_id": None, "candidates": check_text(svc, text)})
    for letter_id in letter_ids:
        with svc.db.read() as session:
            letter = session.get(Letter, letter_id)
            stored = letter.duplicates if letter is not None else None
        if letter is None:
            raise click.ClickException(f"không có đơn #{letter_id}")
        candidates = check_letter(svc, letter_id) if recheck or stored is None else stored
        outcomes.append({"letter_id": letter_id, "candidates": candidates})
    for outcome in outcomes:
        if as_json:
            _emit(outcome)
            continue
        click.echo(f"đơn #{outcome['letter_id']}" if outcome["letter_id"] else "văn bản")
        for c in outcome["candidates"] or []:
            click.echo(f"  {c['kind']:<12} {c['score']:.2f}  {c['register_no']} #{c['letter_id']}: "
                       + "; ".join(c["reasons"]))
        if not outcome["candidates"]:
            click.echo("  không thấy đơn trùng")


@main.command()
@click.option("--batch", type=click.IntRange(1, 10000), default=200, show_default=True)
@click.option("--fresh", is_flag=True, help="Start over instead of resuming an interrupted run.")
def reindex(batch: int, fresh: bool) -> None:
    """Rebuild the search index from the database (batched, resumable)."""
    from sqlalchemy import func, select

    from ingest.indexing import reindex as run_reindex
    from models import Letter

    svc = _ready_svc()
    with svc.db.read() as session:
        total = session.scalar(select(func.count(Letter.id)).where(Letter.status == "ocr_done")) or 0
    with click.progressbar(length=total, label="Lập chỉ mục", file=sys.stderr) as bar:
        report = run_reindex(svc, batch=batch, fresh=fresh, progress=bar.update)
    click.echo(f"đã lập chỉ mục {report.indexed} đơn (từ #{report.resumed_from + 1}), "
               f"bỏ {report.removed} mục thừa; chỉ mục: {report.target}")


@main.command()
@click.option("--repair", is_flag=True, help="Fix what can be fixed (requeue, reindex, remove leftovers).")
@click.option("--deep", is_flag=True, help="Also re-hash every original file (slow on large stores).")
@click.option("--grace", type=click.FloatRange(0), default=600, show_default=True,
              help="Seconds a leftover file must be old before it counts (an intake may be committing it).")
@click.option("--json", "as_json", is_flag=True)
def check(repair: bool, deep: bool, grace: float, as_json: bool) -> None:
    """Verify that database, files, queue and search index agree; exit 1 while anything is left unresolved."""
    from ingest.check import KINDS
    from ingest.check import check as run_check

    svc = _ready_svc()
    report = run_check(svc, repair=repair, deep=deep, grace_seconds=grace)
    if as_json:
        _emit(report.as_dict())
    else:
        click.echo(f"{report.letters} đơn, {report.settled} đã xử lý xong, {report.indexed} trong chỉ mục")
        for finding in report.findings:
            meaning, fix = KINDS[finding.kind]
            state = f"đã sửa: {fix}" if finding.repaired else ("chưa sửa" if fix else "không tự sửa được")
            click.echo(f"  [{finding.kind}] {finding.detail} — {meaning} ({state})")
        click.echo("không có sai lệch" if not report.findings else
                   f"{len(report.findings)} sai lệch, {len(report.unresolved)} chưa giải quyết")
    sys.exit(0 if report.ok else 1)


@main.command()
@click.argument("archive", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
def backup(archive: str, as_json: bool) -> None:
    """Write the database snapshot and every file of the data dir to ARCHIVE (a .tar), safely while running."""
    from ingest.backup import backup as run_backup

    with _as_click_error():
        report = run_backup(_svc(), Path(archive))
    if as_json:
        _emit(report.as_dict())
    else:
        click.echo(f"đã sao lưu {report.letters} đơn, {report.files} tệp ({report.bytes / 1e6:.1f} MB, "
                   f"{report.database}) vào {report.path} trong {report.seconds:.1f} s")


@main.command()
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
def restore(archive: str, as_json: bool) -> None:
    """Restore ARCHIVE into the (empty) data dir and database configured, migrate it and check it."""
    from ingest.backup import restore as run_restore

    with _as_click_error():
        report = run_restore(_svc(), Path(archive))
    if as_json:
        _emit(report.as_dict())
    else:
        click.echo(f"đã khôi phục {report.letters} đơn, {report.files} tệp vào {report.data_dir} trong "
                   f"{report.seconds:.1f} s; kiểm tra: {'khớp' if report.check_ok else 'còn sai lệch'}")
    sys.exit(0 if report.check_ok else 1)


@main.command("copy-db")
@click.argument("target_url")
def copy_db(target_url: str) -> None:
    """Copy the configured database into TARGET_URL (an empty one, e.g. PostgreSQL); then point
    DONTHU_DATABASE_URL at it and run `donthu reindex`."""
    from ingest.dbcopy import copy_database

    svc = _svc()
    with _as_click_error():
        report = copy_database(svc.settings.database_url, target_url,
                               progress=lambda table, rows: click.echo(f"  {table}: {rows}", err=True))
    click.echo(f"đã chép {report.rows} dòng của {len(report.tables)} bảng; tiếp theo: đặt DONTHU_DATABASE_URL "
               "sang cơ sở dữ liệu mới rồi chạy `donthu reindex`")


@main.command()
@click.option("--count", "-n", type=int, default=0, help="Worker processes (default: one per core).")
def worker(count: int) -> None:
    """Run the background workers (and the sweeper) until stopped."""
    from ingest.workers import run_supervisor
    from web.bootstrap import prepare_model

    svc = _ready_svc()
    prepare_model(svc)
    run_supervisor(svc, count or svc.settings.worker_count)


@main.command()
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--channel", type=click.Choice(CHANNELS), default="post", show_default=True)
@click.option("--interval", type=float, default=2.0, show_default=True, help="Seconds between scans.")
@click.option("--once", is_flag=True, help="Handle the files present now, then exit.")
@click.option("--sync", is_flag=True, help="Read each file in this process, without Redis.")
def watch(folder: str, channel: str, interval: float, once: bool, sync: bool) -> None:
    """Register every file a scanner drops into FOLDER; move it to done/ or failed/."""
    from ingest.watch import FolderWatcher

    svc = _ready_svc()
    watcher = FolderWatcher(svc, Path(folder), channel=channel, sync=sync)
    if once:
        for line in watcher.scan_once(settle_seconds=0):
            click.echo(line)
        return
    watcher.run(interval, echo=click.echo)


@main.command()
@click.option("--demo", is_flag=True, help="Load sample letters.")
@click.option("--port", type=int, help="Port of the web app (default DONTHU_PORT or 8000).")
@click.option("--host", help="Address of the web app (default 127.0.0.1).")
@click.option("--workers", type=int, default=0, help="Worker processes (default: one per core).")
@click.option("--web-workers", type=int, default=0,
              help="Web processes (default: two per core; each serves two requests at a time).")
@click.option("--data-dir", type=click.Path(file_okay=False), help="Data folder (same as donthu --data-dir).")
def run(demo: bool, port: int | None, host: str | None, workers: int, web_workers: int, data_dir: str | None) -> None:
    """Run the whole system: database, Redis, workers and the web app."""
    from web.runner import run_system

    if data_dir:
        os.environ["DONTHU_DATA_DIR"] = str(Path(data_dir).resolve())
    if port:
        os.environ["DONTHU_PORT"] = str(port)
    if host:
        os.environ["DONTHU_HOST"] = host
    sys.exit(run_system(_svc(), demo=demo, workers=workers, web_workers=web_workers))


@main.command()
@click.option("--kind", type=click.Choice(["week", "month", "quarter", "half", "nine_months", "year", "custom"]),
              default="month", show_default=True)
@click.option("--year", help="Year (default: the current one).")
@click.option("--q", "quarter", help="Quarter 1-4.")
@click.option("--month", help="Month 1-12.")
@click.option("--date", "day", help="Any day of the period (dd/mm/yyyy).")
@click.option("--start", help="Custom period start (dd/mm/yyyy).")
@click.option("--end", help="Custom period end (dd/mm/yyyy).")
@click.option("--stat", is_flag=True, help="The statistical window (cut at the 14th) instead of the calendar one.")
@click.option("--weekly", is_flag=True, help="File last full week's report, as the scheduled job does.")
@click.option("--file", "file_it", is_flag=True, help="File the report (XLSX and PDF in the data dir).")
@click.option("--json", "as_json", is_flag=True, help="Print the forms as JSON.")
def report(kind: str, year, quarter, month, day, start, end, stat: bool, weekly: bool, file_it: bool,  # noqa: ANN001
           as_json: bool) -> None:
    """The periodic report (XLD01-04, TCD01) of a period; --file keeps it for download."""
    from datetime import date

    from core.periods import parse_period
    from ingest.reports.filing import file_report, file_weekly_report
    from ingest.reports.service import build_report

    svc = _ready_svc()
    if weekly:
        row, made = file_weekly_report(svc)
        click.echo(f"{'filed' if made else 'already filed'}: {row.label} -> {row.xlsx_path}, {row.pdf_path}")
        return
    args = {k: v for k, v in dict(kind=kind, year=year, q=quarter, month=month, date=day, start=start, end=end,
                                  stat="1" if stat else None).items() if v}
    try:
        period = parse_period(args, date.today())
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    if file_it:
        row, made = file_report(svc, period, by="cli")
        click.echo(f"{'filed' if made else 'already filed'}: {row.label} -> {row.xlsx_path}, {row.pdf_path}")
        return
    with svc.db.read() as session:
        built = build_report(session, period, with_charts=False)
    if as_json:
        _emit({"period": {"kind": period.kind, "start": period.start.isoformat(), "end": period.end.isoformat(),
                          "statistical": period.statistical, "label": period.label},
               "forms": {t.form: {"title": t.title, "columns": [{"key": c.key, "path": list(c.path)} for c in t.columns],
                                  "rows": [{"label": r.label, "cells": r.cells} for r in t.rows]}
                         for t in built.tables()}})
        return
    click.echo(period.label)
    for table in built.tables():
        click.echo(f"\n{table.form} {table.title}")
        for row in table.rows:
            values = " ".join(f"{c.key}={row.cells[c.key]}" for c in table.columns if row.cells[c.key])
            click.echo(f"  {row.label}: {values or '0'}")


@main.command()
def remind() -> None:
    """Create the due deadline reminders (and e-mail them when SMTP is configured), as the hourly job does."""
    from datetime import date

    from ingest.followup import remind as send_reminders

    svc = _ready_svc()
    click.echo(f"{send_reminders(svc, date.today())} new reminders")


@main.group()
def user() -> None:
    """Manage staff accounts."""


@user.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["clerk", "reviewer", "officer", "leader", "admin"]), required=True)
@click.option("--name", "full_name", default="", help="Full name.")
@click.option("--password", help="Password (default: generated and printed).")
@click.option("--token", is_flag=True, help="Also issue a personal API token and print it.")
@click.option("--read-only-token", is_flag=True, help="Also issue a read-only API token (GET only) and print it.")
def user_create(email: str, role: str, full_name: str, password: str | None, token: bool,
                read_only_token: bool) -> None:
    """Create a user."""
    import secrets

    from web.accounts import create_user, issue_token

    svc = _ready_svc()
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    with svc.db.write() as session:
        try:
            account = create_user(session, email, password, role, full_name=full_name)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        api_token = (issue_token(session, account, "cli", read_only=read_only_token)
                     if token or read_only_token else None)
    click.echo(f"created {account.email} ({role})")
    if generated:
        click.echo(f"password: {password}")
    if api_token:
        click.echo(api_token)


if __name__ == "__main__":
    main()
