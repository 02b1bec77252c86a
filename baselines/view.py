"""``python -m baselines.view RUN_DIR``: one self-contained HTML page of a training run.

    python -m baselines.view runs/ppo                 # writes runs/ppo/view.html
    textagent-envs view runs/ppo --out /tmp/ppo.html  # the same, from the package's CLI

The page needs nothing but a browser (no server, no network, no files beside it): the run's
settings, learning curves drawn as inline SVG (training and held-out success, return,
episode length, losses), the results table (every held-out evaluation with its 95%
interval, and the evaluation JSON files found in the run directory), and the episode
transcripts the trainer kept in ``transcripts.jsonl`` (a few sampled training episodes per
iteration and the first episodes of each evaluation): each turn's observation as the model
saw it, its reply, the command sent and the reward, with the outcome. Transcripts can be
filtered by task, iteration, kind (training or evaluation) and outcome, also from the
address: ``view.html#kind=eval&iteration=3&outcome=false`` (``task`` is "ENV_ID seed N").
"""

from __future__ import annotations

import argparse
import html
import json
import sys
from pathlib import Path
from typing import Any, Sequence

from .evaluate import wilson_interval
from .plot import read_metrics

#: The curves drawn: a title and the metrics.csv columns of its lines.
CURVES: tuple[tuple[str, tuple[str, ...], tuple[float, float] | None], ...] = (
    ("success rate", ("charts/success_rate", "eval/success_rate"), (0.0, 1.0)),
    ("return", ("charts/return", "eval/return"), None),
    ("episode length (turns)", ("charts/episode_length", "eval/steps"), None),
    ("losses", ("losses/policy", "losses/value", "losses/kl_ref"), None),
)
_LABELS = {"charts/success_rate": "training (sampled)", "eval/success_rate": "held-out (greedy)",
           "charts/return": "training", "eval/return": "held-out", "charts/episode_length": "training",
           "eval/steps": "held-out", "losses/policy": "policy", "losses/value": "value", "losses/kl_ref": "KL to reference"}
_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")


def load_run(run: str | Path) -> dict[str, Any]:
    """What the page shows, read from the run directory: ``config`` (dict), ``metrics``
    (rows), ``transcripts`` (one dict per kept episode) and ``evaluations`` (name -> the
    JSON of ``baselines.evaluate`` files in the directory)."""
    run = Path(run)
    if not run.is_dir():
        raise FileNotFoundError(f"{run} is not a directory; give a baselines.train run directory")
    config_path = run / "config.json"
    if not config_path.exists():
        raise FileNotFoundError(f"{config_path} does not exist; is {run} a baselines.train run directory?")
    config = json.loads(config_path.read_text())
    metrics = read_metrics(run)
    transcripts = []
    path = run / "transcripts.jsonl"
    if path.exists():
        transcripts = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    evaluations = {}
    for file in sorted(run.glob("*.json")):
        if file.name == "config.json":
            continue
        try:
            data = json.loads(file.read_text())
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict) and isinstance(data.get("summary"), dict):
            evaluations[file.name] = data
    return {"name": run.name, "config": config, "metrics": metrics, "transcripts": transcripts, "evaluations": evaluations}


def _fmt(value: float) -> str:
    return f"{value:.2g}" if abs(value) < 1000 else f"{value:.0f}"


def svg_chart(title: str, series: dict[str, list[tuple[float, float]]], *, y_range: tuple[float, float] | None = None,
              x_label: str = "iteration", width: int = 440, height: int = 250) -> str:
    """An inline SVG line chart of ``series`` (label -> (x, y) points)."""
    left, right, top, bottom = 62, 12, 26, 40
    points = [p for pts in series.values() for p in pts]
    xs, ys = [p[0] for p in points] or [0.0, 1.0], [p[1] for p in points] or [0.0, 1.0]
    x0, x1 = min(xs), max(xs)
    y0, y1 = y_range if y_range is not None else (min(ys), max(ys))
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    if y1 == y0:
        y0, y1 = y0 - 1, y1 + 1
    w, h = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * w

    def py(y: float) -> float:
        return top + (1 - (y - y0) / (y1 - y0)) * h

    out = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{html.escape(title)}">',
           f'<text x="{left}" y="16" class="title">{html.escape(title)}</text>',
           f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="none" stroke="#bbb"/>']
    for frac in (0.0, 0.5, 1.0):
        y = y0 + frac * (y1 - y0)
        out.append(f'<line x1="{left}" x2="{left + w}" y1="{py(y):.1f}" y2="{py(y):.1f}" stroke="#eee"/>'
                   f'<text x="{left - 4}" y="{py(y) + 4:.1f}" text-anchor="end" class="tick">{_fmt(y)}</text>')
    for x in (x0, x1):
        out.append(f'<text x="{px(x):.1f}" y="{top + h + 14}" text-anchor="middle" class="tick">{_fmt(x)}</text>')
    out.append(f'<text x="{left + w / 2}" y="{height - 6}" text-anchor="middle" class="tick">{html.escape(x_label)}</text>')
    for k, (label, pts) in enumerate(series.items()):
        color = _COLORS[k % len(_COLORS)]
        if pts:
            path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts)
            out.append(f'<polyline class="curve" data-series="{html.escape(label)}" fill="none" stroke="{color}" '
                       f'stroke-width="2" points="{path}"/>')
            out.extend(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="2.5" fill="{color}"/>' for x, y in pts)
        out.append(f'<rect x="{left + 8}" y="{top + 6 + 14 * k}" width="10" height="3" fill="{color}"/>'
                   f'<text x="{left + 22}" y="{top + 11 + 14 * k}" class="legend">{html.escape(label)}</text>')
    out.append("</svg>")
    return "".join(out)


def curves_html(metrics: list[dict[str, float]]) -> str:
    """The :data:`CURVES` charts that have data, as inline SVG."""
    charts = []
    for title, keys, y_range in CURVES:
        series = {_LABELS.get(k, k): [(r["iteration"], r[k]) for r in metrics if k in r] for k in keys}
        series = {label: pts for label, pts in series.items() if pts}
        if series:
            charts.append(svg_chart(title, series, y_range=y_range))
    return "".join(charts) or "<p>No metrics yet: metrics.csv has no rows.</p>"


def _table(head: Sequence[str], rows: Sequence[Sequence[Any]], cls: str) -> str:
    cells = "".join(f"<th>{html.escape(str(h))}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>'


def results_html(run: dict[str, Any]) -> str:
    """The results table: each held-out evaluation of the run (success with its Wilson 95%
    interval over ``eval_tasks`` episodes, return, steps) and each evaluation JSON file."""
    n = int(run["config"].get("eval_tasks", 0) or 0)
    rows = []
    for r in run["metrics"]:
        if "eval/success_rate" not in r:
            continue
        rate = r["eval/success_rate"]
        lo, hi = wilson_interval(round(rate * n), n) if n else (float("nan"), float("nan"))
        rows.append([int(r["iteration"]), int(r.get("episodes", 0)), f"{rate:.1%}", f"[{lo:.1%}, {hi:.1%}]",
                     f"{r.get('eval/return', float('nan')):.3f}", f"{r.get('eval/steps', float('nan')):.2f}",
                     f"{r['charts/success_rate']:.1%}" if "charts/success_rate" in r else ""])
    parts = [_table(["iteration", "training episodes", f"held-out success ({n} games)", "95% interval", "return",
                     "steps", "training success"], rows, "results")
             if rows else "<p>No held-out evaluation yet.</p>"]
    files = []
    for name, data in run["evaluations"].items():
        s = data["summary"]
        ci = s.get("success_rate_ci95", [float("nan")] * 2)
        files.append([name, data.get("model", ""), data.get("env", ""), s.get("episodes", ""), f"{s['success_rate']:.1%}",
                      f"[{ci[0]:.1%}, {ci[1]:.1%}]", f"{s.get('mean_return', float('nan')):.3f}"])
    if files:
        parts.append(_table(["file", "model", "env", "episodes", "success", "95% interval", "return"], files, "results"))
    return "".join(parts)


def settings_html(config: dict[str, Any]) -> str:
    keys = ("preset", "algo", "env", "env_kwargs", "reward", "model", "mode", "observation", "action", "max_turns",
            "iterations", "tasks_per_iter", "group_size", "temperature", "train_split", "eval_split", "sft_split",
            "sft_demos", "seed")
    return _table(["setting", "value"], [[k, json.dumps(config[k]) if isinstance(config[k], dict) else config[k]]
                                         for k in keys if k in config], "settings")


_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;max-width:1400px}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}
.charts{display:flex;flex-wrap:wrap;gap:12px}.chart{background:#fff;border:1px solid #eee}
.chart .title{font-size:13px;font-weight:600}.chart .tick,.chart .legend{font-size:11px;fill:#555}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:3px 8px;font-size:13px;text-align:left}
th{background:#f4f4f4}.filters label{margin-right:1em;font-size:14px}
.episode{border:1px solid #ccc;border-radius:4px;margin:.8em 0;padding:.4em .8em}
.episode h3{font-size:14px;margin:.3em 0}.win{color:#187a2f}.loss{color:#b3261e}
.turns td{vertical-align:top}.turns pre{white-space:pre-wrap;margin:0;font-size:12px;max-width:560px}
#js-errors{color:#b3261e}
"""

_SCRIPT = r"""
(function () {
  var data = JSON.parse(document.getElementById('transcript-data').textContent);
  var list = document.getElementById('transcripts');
  var filters = {task: document.getElementById('f-task'), iteration: document.getElementById('f-iteration'),
                 kind: document.getElementById('f-kind'), outcome: document.getElementById('f-outcome')};
  function taskOf(e) { return e.task + ' seed ' + e.seed; }
  function fill(select, values) {
    values.forEach(function (v) {
      var o = document.createElement('option'); o.value = String(v); o.textContent = String(v); select.appendChild(o);
    });
  }
  function distinct(f) {
    var seen = {}; var out = [];
    data.forEach(function (e) { var v = f(e); if (!(v in seen)) { seen[v] = 1; out.push(v); } });
    return out;
  }
  fill(filters.task, distinct(taskOf).sort());
  fill(filters.iteration, distinct(function (e) { return e.iteration; }).sort(function (a, b) { return a - b; }));
  function cell(row, text, pre) {
    var td = document.createElement('td');
    if (pre) { var p = document.createElement('pre'); p.textContent = text; td.appendChild(p); } else { td.textContent = text; }
    row.appendChild(td);
  }
  function render() {
    list.textContent = '';
    var shown = 0;
    data.forEach(function (e) {
      if (filters.task.value && taskOf(e) !== filters.task.value) return;
      if (filters.iteration.value && String(e.iteration) !== filters.iteration.value) return;
      if (filters.kind.value && e.kind !== filters.kind.value) return;
      if (filters.outcome.value && String(e.success) !== filters.outcome.value) return;
      shown += 1;
      var box = document.createElement('div'); box.className = 'episode';
      var h = document.createElement('h3');
      h.textContent = 'iteration ' + e.iteration + ' \u00b7 ' + e.kind + ' \u00b7 ' + taskOf(e) + ' \u00b7 ' +
        (e.success ? 'success' : 'no success') + ' \u00b7 return ' + Number(e['return']).toFixed(3) + ' \u00b7 ' +
        e.turns.length + ' turns';
      h.className = e.success ? 'win' : 'loss';
      box.appendChild(h);
      var table = document.createElement('table'); table.className = 'turns';
      var head = document.createElement('tr');
      ['turn', 'observation shown', 'reply', 'command sent', 'reward'].forEach(function (t) {
        var th = document.createElement('th'); th.textContent = t; head.appendChild(th);
      });
      table.appendChild(head);
      e.turns.forEach(function (t, i) {
        var row = document.createElement('tr'); row.className = 'turn';
        cell(row, String(i + 1)); cell(row, t.observation, true); cell(row, t.reply.replace(/\n/g, '\u23ce\n'), true);
        cell(row, t.command === '' ? '(empty)' : t.command, true);
        cell(row, Number(t.reward).toFixed(3));
        table.appendChild(row);
      });
      if (e.final_observation) {
        var last = document.createElement('tr');
        cell(last, 'end'); cell(last, e.final_observation, true); cell(last, ''); cell(last, '');
        cell(last, e.terminated ? 'game over' : (e.truncated ? 'cut off' : ''));
        table.appendChild(last);
      }
      box.appendChild(table);
      list.appendChild(box);
    });
    document.getElementById('shown').textContent = shown + ' of ' + data.length + ' episodes';
    document.body.setAttribute('data-shown', String(shown));
  }
  var wanted = new URLSearchParams(window.location.hash.slice(1));  // e.g. view.html#kind=eval&iteration=3
  Object.keys(filters).forEach(function (k) {
    if (wanted.has(k)) filters[k].value = wanted.get(k);
    filters[k].addEventListener('change', render);
  });
  render();
  document.body.setAttribute('data-rendered', 'yes');
})();
"""


def render_page(run: dict[str, Any]) -> str:
    """The HTML page of a run loaded by :func:`load_run`."""
    cfg = run["config"]
    title = f"{run['name']}: {cfg.get('algo', '?')} on {cfg.get('env', '?')}"
    data = json.dumps(run["transcripts"]).replace("</", "<\\/")
    kinds = "".join(f'<option value="{k}">{k}</option>' for k in ("train", "eval"))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<script>window.addEventListener('error', function (e) {{
  var box = document.getElementById('js-errors'); if (box) box.textContent += 'error: ' + e.message + '\\n';
  document.documentElement.setAttribute('data-js-error', e.message); }});</script>
<style>{_STYLE}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<pre id="js-errors"></pre>
<h2>Settings</h2>{settings_html(cfg)}
<h2>Learning curves</h2><div class="charts" id="curves">{curves_html(run["metrics"])}</div>
<h2>Results</h2>{results_html(run)}
<h2>Transcripts</h2>
<div class="filters">
<label>task <select id="f-task"><option value="">all</option></select></label>
<label>iteration <select id="f-iteration"><option value="">all</option></select></label>
<label>kind <select id="f-kind"><option value="">all</option>{kinds}</select></label>
<label>outcome <select id="f-outcome"><option value="">all</option><option value="true">success</option>
<option value="false">no success</option></select></label>
<span id="shown"></span></div>
<div id="transcripts"></div>
<script type="application/json" id="transcript-data">{data}</script>
<script>{_SCRIPT}</script>
</body></html>
"""


def write_page(run: str | Path, out: str | Path | None = None) -> Path:
    """Write the page of the run in ``run`` to ``out`` (default ``<run>/view.html``); returns its path."""
    page = render_page(load_run(run))
    path = Path(out) if out is not None else Path(run) / "view.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m baselines.view", description=__doc__.split("\n\n")[0])
    parser.add_argument("run", help="a baselines.train run directory")
    parser.add_argument("--out", help="the HTML file to write (default: RUN/view.html)")
    args = parser.parse_args(argv)
    try:
        path = write_page(args.run, args.out)
    except (FileNotFoundError, ValueError, KeyError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
