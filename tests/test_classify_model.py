"""The classifier's pieces: compiled heads equal scikit-learn's, routing rules, and the corpus split."""

from __future__ import annotations

import numpy as np

from classify.corpus import load, split
from classify.features import make_vectorizer, prepare
from classify.model import LinearHead, _calibrated, _svm
from classify.routing import route


def test_compiled_heads_give_scikit_learns_calibrated_probabilities() -> None:
    records = load()[:300]
    vectorizer = make_vectorizer()
    x = vectorizer.fit_transform([prepare(r["text"]) for r in records])
    y = np.asarray([r["type"] for r in records])
    model = _calibrated(_svm(), 5).fit(x[:250], y[:250])
    np.testing.assert_allclose(LinearHead.from_calibrated(model).predict_proba(x[250:]), model.predict_proba(x[250:]),
                               rtol=1e-9, atol=1e-12)


def test_complaints_go_to_whoever_issued_the_decision() -> None:
    first = "Tôi khiếu nại Quyết định số 12/QĐ-UBND ngày 3/4/2026 của Chủ tịch UBND xã Yên Mỹ về thu hồi đất."
    assert route(first, "khieu_nai")[0] == "UBND_XA"
    second = first + " Tôi không đồng ý với quyết định giải quyết khiếu nại lần đầu."
    assert route(second, "khieu_nai")[0] == "UBND_TINH"
    enforcement = "Tôi khiếu nại Quyết định số 5/QĐ-CCTHADS của Chi cục Thi hành án dân sự về kê biên nhà."
    assert route(enforcement, "khieu_nai")[0] == "THADS"
    assert route(first, "to_cao") is None  # only complaints are routed by issuer


def test_the_held_out_split_keeps_each_matter_on_one_side() -> None:
    records = load()
    train, test = split(records)
    assert len(train) + len(test) == len(records) and len({r["id"] for r in test} & {r["id"] for r in train}) == 0
    test_ids = {r["id"] for r in test}
    for link in ("dup_of", "ocr_of"):
        assert all(r[link] in test_ids for r in test if r.get(link))
        assert all(r[link] not in test_ids for r in train if r.get(link))
    originals = [r for r in records if not r["dup_of"] and not r.get("ocr_of")]
    assert len(originals) >= 600 and sum(1 for r in test if not r["dup_of"]) >= 120
