"""The accountability step of the monthly run: one call that drafts everything the bureau does next.

:func:`produce` takes an audit result (waivers already applied with
:func:`xfaudit.waivers.apply_waivers`) and writes::

    out_dir/letters/*.docx     督办及改进工作建议函, 完善政策建议, 处分/追责建议草稿
    out_dir/通报.docx           the monthly circular
    out_dir/回访抽查.xlsx        the callback sample (confidential; the one file with contact data)

and updates the follow-up register (``registers_dir/建议跟踪台账.xlsx``). The register is read
first (last month's recommendations and check results: overdue feedback, escalations) and
written last, only after every document was written.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from xfaudit import followup, letters, sampling
from xfaudit.audit import AuditResult
from xfaudit.config import AccountabilityConfig, load_config
from xfaudit.dates import month_text, parse_period
from xfaudit.recommend import RecommendationSet, recommend

#: Chinese names of the documents' kinds (letters_frame, the report).
DOCUMENT_KINDS = {"improvement": "督办及改进工作建议函", "policy": "完善政策建议",
                  "sanction": "处分/追责建议草稿", "circular": "通报"}

CIRCULAR_FILE = "通报.docx"
SAMPLE_FILE = "回访抽查.xlsx"
LETTERS_DIR = "letters"


@dataclass
class AccountabilityOutput:
    """What :func:`produce` wrote and decided, for the notebook and the manifest.

    Attributes
    ----------
    period : str
    recommendations : RecommendationSet
    letters : list of letters.Letter
    sample : sampling.CallbackSample
    review : followup.FollowupReview
        Overdue feedback and escalations found in the register at this run.
    paths : dict
        ``letters`` (folder), ``circular``, ``sample``, ``register``.
    config : AccountabilityConfig
    """

    period: str
    recommendations: RecommendationSet
    letters: list[letters.Letter]
    sample: sampling.CallbackSample
    review: followup.FollowupReview
    paths: dict[str, Path]
    config: AccountabilityConfig = field(repr=False, default=None)

    def letters_frame(self) -> pd.DataFrame:
        """One row per document written (letters and the circular)."""
        rows = [{"文件": l.path.name, "类型": DOCUMENT_KINDS.get(l.kind, l.kind), "责任单位": l.unit,
                 "发文字号": l.doc_no,
                 "建议编号": l.recommendation, "标题": l.title} for l in self.letters]
        return pd.DataFrame(rows, columns=["文件", "类型", "责任单位", "发文字号", "建议编号", "标题"])

    def todo(self) -> dict[str, int]:
        """What the inspector does next, as counts: ``letters_to_sign`` (督办及改进工作建议函,
        完善政策建议 and the 通报), ``drafts_to_review`` (处分/追责建议草稿), ``callbacks``
        (items of the callback sample), ``awaiting_answers`` (recommendations sent and not yet
        answered, overdue ones included) and ``overdue_answers`` (past their feedback date)."""
        kinds = [letter.kind for letter in self.letters]
        return {"letters_to_sign": sum(k in ("improvement", "policy", "circular") for k in kinds),
                "drafts_to_review": sum(k == "sanction" for k in kinds),
                "callbacks": int(len(self.sample.frame)),
                "awaiting_answers": int(self.review.pending),
                "overdue_answers": int(len(self.review.overdue))}

    def to_dict(self) -> dict:
        """JSON-ready summary with SHA-256 of every file (for the run's manifest)."""
        def digest(path: Path) -> str:
            return hashlib.sha256(Path(path).read_bytes()).hexdigest()
        files = {str(l.path): digest(l.path) for l in self.letters}
        for key in ("circular", "sample", "register"):
            files[str(self.paths[key])] = digest(self.paths[key])
        return {"period": self.period,
                "recommendations": self.recommendations.to_frame().to_dict(orient="records"),
                "sample": self.sample.to_dict(), "followup": self.review.to_dict(),
                "files": files, "config_source": self.config.source if self.config else None}

    def __repr__(self) -> str:
        # Plain-text form (also saved in executed notebooks): counts only, never the sample's
        # contact details.
        return (f"AccountabilityOutput(period={self.period!r}, "
                f"recommendations={len(self.recommendations.to_frame())}, "
                f"documents={len(self.letters)}, callback_sample={len(self.sample.frame)})")

    def _repr_html_(self) -> str:
        from xfaudit.display import html_table

        recs = self.recommendations
        parts = [f"<h4>问责与督办（{html.escape(self.period)}）</h4>",
                 recs._repr_html_(),
                 "<h5>生成的文书</h5>", html_table(self.letters_frame()),
                 "<h5>回访抽查</h5>", self.sample._repr_html_(),
                 "<h5>建议跟踪</h5>", self.review._repr_html_()]
        return "".join(parts)


def check_period(period) -> str:
    """The period's label (``2026-10``) from any form :func:`xfaudit.dates.parse_period`
    reads, or its Chinese ConfigError."""
    return parse_period(period).label


def register_path(out_dir: Path, registers_dir, cfg: AccountabilityConfig) -> Path:
    """Where the follow-up register lives: ``registers_dir``, else a ``registers`` folder
    beside the period folders (``out_dir/../registers``), so months share one register."""
    folder = Path(registers_dir) if registers_dir else Path(out_dir).parent / "registers"
    return folder / cfg["followup"]["register_file"]


def produce(result: AuditResult, period: str, out_dir, *, registers_dir=None, seed: int = 0,
            ranking: pd.DataFrame | None = None, ranking_rule: str | None = None,
            config=None, issued_on=None, previous_findings: pd.DataFrame | None = None
            ) -> AccountabilityOutput:
    """Draft the recommendations, letters, circular and callback sample of one month.

    Parameters
    ----------
    result : AuditResult
        The month's audit with waivers applied.
    period : str
        ``YYYY-MM``.
    out_dir : path
        The period's report folder (``reports/<period>`` or the run's staging folder).
    registers_dir : path, optional
        Folder of the inspector's registers (follow-up register read and updated here).
        Default: ``out_dir/../registers``.
    seed : int
        Seed of the callback sample (recorded in 回访抽查.xlsx).
    ranking : DataFrame, optional
        Unit ranking for the circular (from xfaudit.indicators); default: a simple ranking by
        finding counts.
    ranking_rule : str, optional
        How ``ranking`` is ordered (``indicators.ranking_rule_text()``), printed in the circular.
    config : path, dict or AccountabilityConfig, optional
        Overrides of accountability.toml / recommendations.toml (issuer, thresholds, …).
    issued_on : date-like, optional
        成文日期 (default: as_of + ``[letters] issue_offset_days``).
    previous_findings : DataFrame, optional
        Last month's findings, if the register's 检查项记录 should not be used.

    Returns
    -------
    AccountabilityOutput
    """
    cfg = load_config(config)
    period = check_period(period)
    out_dir = Path(out_dir)
    reg_path = register_path(out_dir, registers_dir, cfg)
    register = followup.read_followup(reg_path)
    recs = recommend(result, period, config=cfg, issued_on=issued_on)
    review = followup.review(register, result, period, config=cfg,
                             previous_findings=previous_findings)
    circular_title = cfg.letters["titles"]["circular"].format(
        period_text=month_text(period),
        county=cfg.issuer["county"])
    key = followup.circular_key(period)
    register, numbers = followup.assign_numbers(register, recs, cfg,
                                                extra={key: circular_title})
    written = letters.write_letters(recs, result, out_dir / LETTERS_DIR, review=review, config=cfg)
    circular = letters.write_circular(result, out_dir / CIRCULAR_FILE, period=period,
                                      ranking=ranking, ranking_rule=ranking_rule,
                                      recommendations=recs, review=review,
                                      config=cfg, issued_on=recs.issued_on, doc_no=numbers[key])
    written.append(letters.Letter(path=circular, kind="circular", title=circular_title,
                                  unit=None, recommendation=None, doc_no=numbers[key]))
    sample = sampling.draw(result, period, seed=seed, config=cfg)
    sample_path = sampling.write(sample, out_dir / SAMPLE_FILE)
    register = followup.record(register, recs, result, period)
    followup.write_followup(register, reg_path, created=result.as_of)
    return AccountabilityOutput(
        period=period, recommendations=recs, letters=written, sample=sample, review=review,
        paths={"letters": out_dir / LETTERS_DIR, "circular": circular, "sample": sample_path,
               "register": reg_path},
        config=cfg)
