"""A city's year on the board, written in bulk: 1,000 departments x 30 duties, every occurrence of
a year (done on time, late, waived, open), contacts and requests for help. The benchmark
(bench/board.py) and the board's browser tests (tests/test_web_board_browser.py) build it.

Rows are written with db.bulk.insert_rows and db.addresses.insert_contacts rather than through a
plan file (a file this size is over the plan files' 1 MiB limit, and loading it takes minutes):
each schedule phrase is parsed and expanded once, then given to every department.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session

from db.addresses import insert_contacts
from db.bulk import insert_rows
from db.models import Answer, Department, Duty, Occurrence, Plan
from db.vocabulary import Action, OccurrenceStatus
from scheduler.calendar.occurrences import expand
from scheduler.calendar.schedules import Schedule
from scheduler.calendar.workdays import calendar_for
from scheduler.plans.file import read_plan_text

ZONE = "Asia/Shanghai"
PLACES = ("市", "东城区", "西城区", "南湖区", "北山区", "高新区", "开发区", "滨海新区", "临江县", "青山县",
          "白云县", "长乐县", "永安县", "平阳县", "安宁县", "河西区", "河东区", "新城区", "老城区", "港区")
BUREAUS = ("人力资源社会保障局", "环保局", "教育局", "财政局", "住房和城乡建设局", "自然资源和规划局",
           "卫生健康委员会", "市场监督管理局", "交通运输局", "农业农村局", "水利局", "应急管理局", "民政局",
           "司法局", "文化广电旅游体育局", "商务局", "统计局", "审计局", "医疗保障局", "退役军人事务局",
           "林业局", "城市管理行政执法局", "生态环境局", "发展和改革委员会", "工业和信息化局", "科学技术局",
           "公安局", "信访局", "国有资产监督管理委员会", "政务服务数据管理局", "地方金融监督管理局",
           "人民防空办公室", "机关事务管理局", "档案局", "气象局", "税务局", "住房公积金管理中心",
           "粮食和物资储备局", "供销合作社联合社", "残疾人联合会", "妇女联合会", "总工会", "外事办公室",
           "民族宗教事务局", "港航管理局", "体育局", "乡村振兴局", "行政审批服务局", "大数据中心", "融媒体中心")
ALIASES = {"市人力资源社会保障局": ["市人社局"], "市住房和城乡建设局": ["市住建局"], "市环保局": ["市环境保护局"]}
TITLES = ("政府信息公开工作年度报告", "重大行政决策预公开", "饮用水水质信息公开", "财政预决算公开",
          "政策解读材料发布", "行政许可结果公示", "行政处罚结果公示", "政府网站内容保障", "政务新媒体运维",
          "依申请公开办理情况统计", "重点建设项目信息公开", "公共资源配置信息公开", "社会救助信息公开",
          "就业创业政策公开", "教育收费信息公开", "医疗卫生信息公开", "生态环境质量信息公开",
          "安全生产信息公开", "食品药品监管信息公开", "征地拆迁信息公开", "保障性住房信息公开",
          "价格收费信息公开", "审计结果公开", "建议提案办理结果公开", "权责清单动态调整", "政务服务事项清单",
          "政府常务会议解读", "规范性文件清理", "政务公开培训", "政务开放日活动")
PHRASES = (["每月"] * 6 + [f"每月{d}日前" for d in (5, 10, 15, 20, 25, 28)] + ["每季度"] * 4
           + ["季后15日内"] * 4 + ["每半年"] * 4 + ["每年"] * 3 + ["3月底前完成", "9月底前完成", "年底前完成"])
NOTES = ("数据口径不清楚，请牵头科室确认", "系统账号无法登录，需要协助开通", "本季度材料需要上级审核，能否延期一周",
         "请提供公开模板", "涉及多个部门，请协调")
# How the occurrences due by today ended: shares of done on time, done late, waived (the rest stays open).
SHARES = (0.55, 0.15, 0.05)


@dataclass(frozen=True)
class World:
    """What was written, for the benchmark's line and the tests' expectations."""

    plan: str
    departments: int
    duties: int
    occurrences: int
    help_requests: int
    coordinator_contact: int


def department_names(n: int) -> list[str]:
    """`n` distinct names of real-looking offices; the first is 市政府办公室 (the coordinating
    office), then every bureau of 市 (so 市人力资源社会保障局 is among the first), then the districts'."""
    names = ["市政府办公室"] + [place + bureau for place in PLACES for bureau in BUREAUS]
    if n > len(names):
        raise ValueError(f"at most {len(names)} departments")
    return names[:n]


def _schedules(year: int) -> list[Schedule]:
    """Each phrase of PHRASES as the plan reader parses it (one small plan file, read once)."""
    lines = ["version: 1", f"plan: {{id: p, title: p, issued: {year}-01-01, year: {year}, coordinator: d}}",
             "departments: [{id: d, name: d}]", "duties:"]
    lines += [f"  - {{id: t{i}, title: t, lead: [d], schedule: {phrase}}}" for i, phrase in enumerate(PHRASES)]
    data = read_plan_text("world.yaml", "\n".join(lines) + "\n", date(year, 1, 1))
    return [d.schedule for d in data.duties]


def _ids(session: Session, column, keys: list[str], key_column) -> dict[str, int]:
    return {k: i for k, i in session.execute(select(key_column, column).where(key_column.in_(keys)))}


def _plan(session: Session, year: int, coordinator_id: int) -> int:
    plan = Plan(key="city", title=f"{year}年政务公开工作要点", issued=date(year, 1, 1), year=year,
                until=date(year, 12, 31), timezone=ZONE, workdays="CN", coordinator_id=coordinator_id,
                source_hash="world")
    session.add(plan)
    session.flush()
    return plan.id


def _departments(session: Session, n: int) -> list[int]:
    names = department_names(n)
    rows = [{"key": "office" if i == 0 else f"d{i}", "name": name, "aliases": ALIASES.get(name, []), "tags": []}
            for i, name in enumerate(names)]
    insert_rows(session, Department.__table__, rows)
    found = _ids(session, Department.id, [r["key"] for r in rows], Department.key)
    return [found[r["key"]] for r in rows]


def _duties(session: Session, plan_id: int, departments: list[int], per_department: int,
            schedules: list[Schedule], rng: random.Random) -> list[tuple[int, int, int]]:
    """(duty id, department id, schedule index) of every duty written."""
    rows, meta = [], []
    for i, dept in enumerate(departments):
        for j, s in enumerate(rng.sample(range(len(schedules)), per_department)):
            key = f"t{i}-{j}"
            rows.append({"plan_id": plan_id, "key": key, "title": TITLES[(i + j) % len(TITLES)],
                         "lead": ["office" if i == 0 else f"d{i}"], "support": [], "review": [],
                         "schedule": schedules[s].as_json(),
                         "remind": {}, "position": len(rows), "active": True})
            meta.append((key, dept, s))
    insert_rows(session, Duty.__table__, rows)
    ids = dict(session.execute(select(Duty.key, Duty.id).where(Duty.plan_id == plan_id)).all())
    return [(ids[key], dept, s) for key, dept, s in meta]


def _ending(due: date, today: date, rng: random.Random) -> dict:
    """How an occurrence due on `due` stands on `today`: the columns status, done_at, done_by."""
    if due >= today:
        return {"status": OccurrenceStatus.open}
    roll = rng.random()
    local = datetime.combine(due, time(16, 30), ZoneInfo(ZONE))
    if roll < SHARES[0]:
        return {"status": OccurrenceStatus.done, "done_at": local.astimezone(UTC), "done_by": "联络员"}
    if roll < SHARES[0] + SHARES[1]:
        late = min(local + timedelta(days=rng.randint(1, 20)), datetime.combine(today, time(9), ZoneInfo(ZONE)))
        return {"status": OccurrenceStatus.done, "done_at": late.astimezone(UTC), "done_by": "联络员"}
    if roll < sum(SHARES):
        return {"status": OccurrenceStatus.waived, "done_at": local.astimezone(UTC), "done_by": "督办科"}
    return {"status": OccurrenceStatus.open}


def _occurrences(session: Session, duties: list[tuple[int, int, int]], schedules: list[Schedule], year: int,
                 today: date, rng: random.Random) -> int:
    calendar = calendar_for("CN")
    start, end = date(year, 1, 1), date(year, 12, 31)
    specs = [expand(s, calendar=calendar, start=start, end=end, plan_start=start, plan_until=end)
             for s in schedules]
    rows = [{"duty_id": duty, "department_id": dept, "kind": spec.kind, "period": spec.period, "due": spec.due,
             "quota": spec.quota, **_ending(spec.due, today, rng)}
            for duty, dept, s in duties for spec in specs[s]]
    return insert_rows(session, Occurrence.__table__, rows)


def _answers(session: Session, contacts: dict[int, int]) -> int:
    """The answer log's rows for what was done or waived, as people answering would have left them."""
    found = session.execute(select(Occurrence.id, Occurrence.department_id, Occurrence.status, Occurrence.done_at)
                            .where(Occurrence.status.in_((OccurrenceStatus.done, OccurrenceStatus.waived)))).all()
    rows = [{"occurrence_id": occ, "action": Action.done if status == OccurrenceStatus.done else Action.waive,
             "actor": f"联络员{dept}", "contact_id": contacts[dept], "channel": "email", "changed": True, "at": at}
            for occ, dept, status, at in found]
    return insert_rows(session, Answer.__table__, rows)


def _help_requests(session: Session, departments: list[int], contacts: list[int], count: int, today: date,
                   now: datetime, rng: random.Random) -> int:
    """`count` requests for help on open overdue occurrences, from the departments' contacts, an
    hour apart and the last one an hour ago."""
    contact_of = dict(zip(departments, contacts, strict=True))
    picked = session.execute(
        select(Occurrence.id, Occurrence.department_id).where(Occurrence.status == OccurrenceStatus.open,
                                                              Occurrence.due < today)
        .order_by(Occurrence.id)).all()
    rows = []
    for n, (occ_id, dept) in enumerate(rng.sample(picked, min(count, len(picked)))):
        rows.append({"occurrence_id": occ_id, "action": Action.help, "actor": f"联络员{dept}",
                     "contact_id": contact_of[dept], "channel": "telegram", "note": NOTES[n % len(NOTES)],
                     "changed": True, "at": now - timedelta(hours=n + 1)})
    return insert_rows(session, Answer.__table__, rows)


def build_world(session: Session, *, departments: int = 1000, duties: int = 30, year: int, today: date,
                now: datetime, help_requests: int = 30, answers: bool = False, seed: int = 2016) -> World:
    """Write the world into an empty, migrated database (the caller commits). `answers`: the
    answer log gets a row for each occurrence done or waived, as a real year's would."""
    rng = random.Random(seed)
    schedules = _schedules(year)
    dept_ids = _departments(session, departments)
    plan_id = _plan(session, year, dept_ids[0])
    duty_rows = _duties(session, plan_id, dept_ids, duties, schedules, rng)
    occurrences = _occurrences(session, duty_rows, schedules, year, today, rng)
    contacts = [insert_contacts(session, dept, [(f"联络员{dept}", {"email": f"c{dept}@example.org"})])[0]
                for dept in dept_ids]
    if answers:
        _answers(session, dict(zip(dept_ids, contacts, strict=True)))
    asked = _help_requests(session, dept_ids, contacts, help_requests, today, now, rng)
    return World("city", departments, len(duty_rows), occurrences, asked, contacts[0])
