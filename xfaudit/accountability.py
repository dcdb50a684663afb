"""The accountability step of the monthly run: one call that drafts everything the bureau does
next — section 十 of the report.

:func:`produce` takes an audit result (waivers applied with :func:`xfaudit.waivers.apply_waivers`,
its findings classified by period with the findings history) and writes into the run's staging
folder ``out_dir``::

    letters/*.docx        督办及改进工作建议函 (one per responsible unit), 完善政策建议,
                          追究责任建议草稿 — drafts without 发文字号 until approved
    通报.docx              the monthly circular
    回访抽查.xlsx           the callback sample (confidential; the one file with contact data)
    .registers/           the registers as they will be once the run publishes:
                          建议跟踪台账.xlsx (follow-up register), 问题记录.csv (findings history)

Nothing outside ``out_dir`` is written: the registers folder is read, and the staged registers
replace it only when the run publishes (:func:`xfaudit.monthly.publish_report`), so a failed or
killed run leaves every register byte for byte as it was.

Without a configured bureau (``config`` with ``[bureau] issuer``) no letter and no circular is
drafted — there is no built-in issuer — and the output says how to set the bureau up; the
callback sample and the findings history are still produced.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from xfaudit import followup, letters, model, periods, sampling
from xfaudit.audit import AuditResult
from xfaudit.config import SETUP_HINT, AccountabilityConfig, load_config
from xfaudit.dates import month_text, parse_period
from xfaudit.followup import Document
from xfaudit.recommend import (DOCUMENT_NAMES, FINDING_VIEW, RecommendationSet, accountable,
                               recommend)

CIRCULAR_FILE = "通报.docx"
SAMPLE_FILE = "回访抽查.xlsx"
LETTERS_DIR = "letters"
#: The folder inside the run's staging folder that holds the registers until publication.
STAGED_REGISTERS = ".registers"

#: Keys of :meth:`AccountabilityOutput.todo` (the report's first screen shows them).
TODO_KEYS = ("letters_to_sign", "drafts_to_review", "callbacks", "awaiting_answers",
             "overdue_answers")


@dataclass
class AccountabilityOutput:
    """What :func:`produce` drafted and decided, for the notebook, the manifest and publication.

    Attributes
    ----------
    period : str
    configured : bool
        Whether a bureau was configured (without one: no letters, no circular).
    recommendations : RecommendationSet
    letters : list of letters.Letter
        Every document written (letters and the circular), each with ``.unit``, ``.path``,
        ``.kind``, ``.title``, ``.doc_no`` (None: a draft awaiting approval).
    sample : sampling.CallbackSample
    review : followup.FollowupReview
        Overdue answers and escalations at this run.
    paths : dict
        ``letters`` (folder), ``circular`` (None without a bureau), ``sample``, ``register``
        and ``history`` (where the registers are published).
    staged : dict
        Published path → staged path of every register this run will replace.
    numbered : list of str
        Ids given a 发文字号 at this run (approved in the register since the last run).
    config : AccountabilityConfig
    """

    period: str
    configured: bool
    recommendations: RecommendationSet
    letters: list[letters.Letter]
    sample: sampling.CallbackSample
    review: followup.FollowupReview
    paths: dict[str, Path | None]
    staged: dict[Path, Path] = field(default_factory=dict)
    numbered: list[str] = field(default_factory=list)
    config: AccountabilityConfig = field(repr=False, default=None)

    def publish(self) -> None:
        """Replace the registers with the staged ones (all or nothing). The monthly run does
        this together with the report folder (:func:`xfaudit.monthly.publish_report`); call it
        when using :func:`produce` on its own."""
        from xfaudit import outdir

        outdir.discard(outdir.replace_files(self.staged))
        self.staged = {}

    def letters_frame(self) -> pd.DataFrame:
        """One row per document written (letters and the circular), Chinese headers."""
        rows = [{"文件": l.path.name, "文书类型": _kind_name(l), "责任单位": l.unit or "",
                 "发文字号": l.doc_no or "（待审核签发）", "文书编号": l.recommendation or "",
                 "标题": l.title} for l in self.letters]
        return pd.DataFrame(rows, columns=["文件", "文书类型", "责任单位", "发文字号", "文书编号",
                                           "标题"])

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
        files[str(self.paths["sample"])] = digest(self.paths["sample"])
        for final, staged in self.staged.items():
            files[str(final)] = digest(staged)
        return {"period": self.period, "configured": self.configured,
                "todo": self.todo(), "numbered": list(self.numbered),
                "registers_dir": str(Path(self.paths["register"]).parent),
                "recommendations": self.recommendations.to_frame().astype(object).where(
                    self.recommendations.to_frame().notna(), None).to_dict(orient="records"),
                "pending": int(len(self.recommendations.pending)),
                "self_check": int(len(self.recommendations.self_check)),
                "history": int(len(self.recommendations.history)),
                "sample": self.sample.to_dict(), "followup": self.review.to_dict(),
                "files": files, "config_source": self.config.source if self.config else None}

    def __repr__(self) -> str:
        # Plain-text form (also saved in executed notebooks): counts only, never the sample's
        # contact details.
        bureau = "" if self.configured else "未配置本局信息，"
        return (f"督办与三项建议（{self.period}）：{bureau}建议 {len(self.recommendations)} 条，"
                f"文书 {len(self.letters)} 份，回访 {len(self.sample.frame)} 件")

    def _repr_html_(self) -> str:
        return section_html(self)


def _kind_name(letter: letters.Letter) -> str:
    return DOCUMENT_NAMES.get(letter.kind, letter.kind)


# -- section 十 --------------------------------------------------------------------------------

def _table(frame: pd.DataFrame, title: str, empty: str, note: str | None = None,
           more: str = "findings.xlsx") -> str:
    """A table of section 十 (dates as dates, 是/否, no NaN), at most ``[report] max_rows``
    rows; a line says how many more there are and where they are."""
    from xfaudit.config import settings
    from xfaudit.display import html_table

    head = f"<h5>{html.escape(title)}</h5>"
    if frame.empty:
        return head + f"<p>{html.escape(empty)}</p>"
    limit = int(settings()["report"]["max_rows"])
    left = len(frame) - limit
    body = html_table(frame.head(limit))
    lines = ([f"另有 {left} 行未显示，完整内容见 {more}。"] if left > 0 else []) + (
        [note] if note else [])
    tail = "".join(f"<p><small>{html.escape(line)}</small></p>" for line in lines)
    return head + body + tail


#: Chinese headers of the finding tables of section 十 (自查, 历史问题).
FINDING_HEADERS = {k: model.FINDING_HEADERS[k] for k in FINDING_VIEW}
PENDING_HEADERS = {"unit": "责任主体", "what": "未生成的文书", "reason": "原因",
                   "findings": "问题数", "cases": "涉及信访件"}


def section_html(out: AccountabilityOutput) -> str:
    """Section 十 of the report: to-dos, documents, 自查, 待核实, 历史问题, callbacks, follow-up."""
    recs = out.recommendations
    month = month_text(out.period)
    parts = [f"<h4>督办与三项建议（{html.escape(month)}）</h4>"]
    if not out.configured:
        parts.append(f"<p><strong>{html.escape(SETUP_HINT)}</strong></p>")
    todo = out.todo()
    parts.append(
        "<p>" + html.escape(
            f"待办：待审核签发的文书 {todo['letters_to_sign']} 份，待审核的追究责任建议草稿 "
            f"{todo['drafts_to_review']} 份，回访 {todo['callbacks']} 件，已发出待反馈 "
            f"{todo['awaiting_answers']} 件，逾期未反馈 {todo['overdue_answers']} 件。"
            "所有文书均为草稿：在建议跟踪台账“审核意见”中选择“同意签发”后，下次运行编发文字号。") + "</p>")
    if out.numbered:
        parts.append("<p>" + html.escape("本次运行已为审核同意的文书编发文字号："
                                         + "、".join(out.numbered) + "。") + "</p>")
    for note in recs.notes:
        parts.append(f"<p>{html.escape(note)}</p>")
    if out.configured:
        parts.append(_table(out.letters_frame(), "生成的文书", "本月没有需要发出的文书。",
                            more="建议跟踪台账"))
    parts.append(_table(recs.self_check.rename(columns=FINDING_HEADERS), "自查：本局自身的问题",
                        "本月没有本局自身的履职问题。",
                        "登记、转送、交办是信访部门自己的职责，其超期列入自查，不向本局发函。"))
    parts.append(_table(recs.pending.rename(columns=PENDING_HEADERS), "待核实（未生成文书）",
                        "没有待核实的事项。", more="findings.xlsx（责任主体、本期状态列）"))
    parts.append(_table(recs.history.rename(columns=FINDING_HEADERS), "历史问题（本期之前已办结的超期，仅列于此）",
                        "没有历史问题。",
                        "这些超期行为在本期之前已经办结，且此前未报告过；不写入本月督办函、通报和连续月数。",
                        more="findings.xlsx（本期状态为“历史问题”）"))
    parts.append("<h5>回访抽查</h5>" + out.sample._repr_html_())
    parts.append("<h5>建议跟踪</h5>" + out.review._repr_html_())
    return "".join(parts)


# -- the step ----------------------------------------------------------------------------------

def check_period(period) -> str:
    """The period's label (``2026-10``) from any form :func:`xfaudit.dates.parse_period`
    reads, or its Chinese ConfigError."""
    return parse_period(period).label


def registers_folder(out_dir: Path, registers_dir=None) -> Path:
    """Where the registers live: ``registers_dir``, else a ``registers`` folder beside the
    period folders (``out_dir/../registers``), so months share them."""
    return Path(registers_dir) if registers_dir else Path(out_dir).parent / "registers"


def _units_of(result: AuditResult):
    """The unit register the extract was loaded with (None without one)."""
    from xfaudit.units import read_units

    info = result.extract.report.unit_register
    path = Path(info["path"]) if info and info.get("path") else None
    return read_units(path) if path is not None and path.is_file() else None


def _circular_document(recs: RecommendationSet, cfg: AccountabilityConfig) -> Document:
    b = cfg.bureau
    title = cfg.letters["titles"]["circular"].format(period_text=month_text(recs.period),
                                                     county=b["county"])
    return Document(id=f"{recs.period}-{cfg['codes']['circular']}", period=recs.period,
                    kind="circular", kind_name=DOCUMENT_NAMES["circular"], title=title,
                    unit=None, addressee=b["circular_addressee"], statute="",
                    issued_on=recs.issued_on)


def produce(result: AuditResult, period: str, out_dir, *, registers_dir=None, seed: int = 0,
            ranking: pd.DataFrame | None = None, ranking_rule: str | None = None,
            config=None, issued_on=None, units=None, calendar=None,
            history: pd.DataFrame | None = None) -> AccountabilityOutput:
    """Draft the recommendations, letters, circular and callback sample of one month, and stage
    the registers.

    Parameters
    ----------
    result : AuditResult
        The month's audit with waivers applied (``period_status`` classified against the
        findings history).
    period : str
        ``YYYY-MM``.
    out_dir : path
        The run's staging folder (``reports/.<period>.tmp-…`` under ``xfaudit monthly``).
    registers_dir : path, optional
        Folder of the inspector's registers, read here (default: ``out_dir/../registers``).
    seed : int
        Seed of the callback sample (recorded in 回访抽查.xlsx).
    ranking, ranking_rule : optional
        Unit ranking for the circular (from xfaudit.indicators) and how it is ordered.
    config : path, dict or AccountabilityConfig, optional
        The bureau's configuration (``bureau.toml``). Without a bureau no letter is drafted.
    issued_on : date-like, optional
        成文日期 (default: the first working day after the audit date).
    units : UnitRegister, optional
        The unit register (default: the one the extract was loaded with).
    calendar : LegalCalendar, optional
        The run's calendar (default: the built-in tables).
    history : DataFrame, optional
        The findings history (default: read from the registers folder).

    Returns
    -------
    AccountabilityOutput
        Publish its registers with :func:`xfaudit.monthly.publish_report` (the monthly run does).
    """
    cfg = load_config(config)
    period = check_period(period)
    out_dir = Path(out_dir)
    folder = registers_folder(out_dir, registers_dir)
    reg_path = folder / cfg["followup"]["register_file"]
    hist_path = folder / cfg["followup"]["history_file"]
    units = units if units is not None else _units_of(result)
    if history is None:
        history = periods.read_history(hist_path)
    register = followup.read_followup(reg_path)
    numbered: list[str] = []
    if cfg.configured:            # documents approved since the last run get their numbers
        register, numbered = followup.number_approved(register, cfg)
    recs = recommend(result, period, config=cfg, issued_on=issued_on, units=units,
                     calendar=calendar)
    review = followup.review(register, accountable(result.findings, cfg.issuer, units), period,
                             result.as_of, history=history, config=cfg)
    sample = sampling.draw(result, period, seed=seed, config=cfg)
    sample_path = sampling.write(sample, out_dir / SAMPLE_FILE)
    staging = out_dir / STAGED_REGISTERS
    staging.mkdir(parents=True, exist_ok=True)
    written, circular = [], None
    if cfg.configured:
        documents = [Document.of(rec) for rec in recs] + [_circular_document(recs, cfg)]
        followup.stable_ids(register, documents)
        for doc in documents:
            doc.doc_no = followup.number_of(register, doc.id)
            if doc.recommendation is not None:
                doc.recommendation.id, doc.recommendation.doc_no = doc.id, doc.doc_no
        written = letters.write_letters(recs, result, out_dir / LETTERS_DIR, review=review,
                                        config=cfg)
        circ = documents[-1]
        circular = letters.write_circular(
            result, out_dir / CIRCULAR_FILE, period=period, ranking=ranking,
            ranking_rule=ranking_rule, recommendations=recs, review=review, config=cfg,
            issued_on=recs.issued_on, doc_no=circ.doc_no, units=units, calendar=calendar)
        written.append(letters.Letter(path=circular, kind="circular",
                                      title=circ.plain_title, unit=None,
                                      recommendation=circ.id, doc_no=circ.doc_no))
        register = followup.record(register, documents, period)
        followup.write_followup(register, staging / reg_path.name, created=result.as_of)
    periods.write_history(periods.record(history, result.findings, period),
                          staging / hist_path.name)
    staged = {folder / p.name: p for p in sorted(staging.iterdir())}
    return AccountabilityOutput(
        period=period, configured=cfg.configured, recommendations=recs, letters=written,
        sample=sample, review=review,
        paths={"letters": out_dir / LETTERS_DIR, "circular": circular, "sample": sample_path,
               "register": reg_path, "history": hist_path},
        staged=staged, numbered=numbered, config=cfg)
