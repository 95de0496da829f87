"""Human output (lines and tables on stdout) and --json (the API's JSON, unchanged)."""

from __future__ import annotations

import json


def size(n) -> str:
    n = float(n or 0)
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def emit_json(out, body: dict) -> None:
    out.write(json.dumps(body, indent=2, sort_keys=False) + "\n")


def table(out, header: list, rows: list) -> None:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)] if rows else [len(h) for h in header]
    for row in [header] + rows:
        out.write("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() + "\n")


def backups(out, body: dict) -> None:
    rows = [[b.get("filename", ""), b.get("lastModified", ""), size(b.get("size"))] for b in body.get("backups", [])]
    table(out, ["FILENAME", "LAST MODIFIED", "SIZE"], rows)
    out.write(f"{body.get('count', len(rows))} backup(s)\n")


def job(out, body: dict) -> None:
    """A job's status as 'key: value' lines, its outcome first."""
    out.write(f"{body.get('type', 'JOB')} {body.get('jobId', '')} {body.get('status', '')}\n")
    for key in ("environment", "filename", "database", "createdAt", "finishedAt"):
        if body.get(key):
            out.write(f"  {key}: {body[key]}\n")
    if body.get("durationMs") is not None:
        out.write(f"  duration: {body['durationMs'] / 1000:.1f} s\n")
    if body.get("bytes") is not None:
        out.write(f"  size: {size(body['bytes'])}\n")
    p = body.get("progress")
    if p and body.get("status") == "RUNNING":
        pct = f" {p['percent']}%" if p.get("percent") is not None else ""
        out.write(f"  progress: {p.get('phase', '')}{pct}{' ' + p['current'] if p.get('current') else ''}\n")
    if body.get("message"):
        out.write(f"  message: {body['message']}\n")
    if body.get("details"):
        out.write(f"  details: {body['details']}\n")


def retention(out, body: dict) -> None:
    policy = body.get("policy", {})
    sched, od = policy.get("scheduled", {}), policy.get("onDemand", {})
    rule = (f"newest {sched.get('count')}" if sched.get("rule") == "count" else
            f"tiers daily {sched.get('dailyDays')} d, weekly {sched.get('weeklyWeeks')} w, monthly "
            f"{sched.get('monthlyMonths')} m, at least {sched.get('minCount')}")
    out.write(f"Retention of '{body.get('environment')}' ({policy.get('timeZone')}): scheduled: {rule}; "
              f"on-demand: newest {od.get('count')}, at most {od.get('maxAgeDays')} days\n")
    keep, delete = body.get("keep", []), body.get("delete", [])
    out.write(f"keep ({len(keep)}):\n")
    for k in keep:
        out.write(f"  {k.get('filename')}  [{k.get('class')}]  {'; '.join(k.get('reasons', []))}\n")
    out.write(f"delete ({len(delete)}):\n")
    for d in delete:
        out.write(f"  {d.get('filename')}  [{d.get('class')}]  {d.get('reason')}\n")
