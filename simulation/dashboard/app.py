"""The classroom dashboard: broadcast (sender -> receiver) beside the networked world, live.

Start it with ``python run.py viz`` (``--port``, ``--host``; ``--public`` binds 0.0.0.0)
or ``solara run simulation/dashboard/app.py``. Both serve Solara's front-end from the
``solara-assets`` package through Solara's local asset proxy, so the page needs no CDN and
works offline.

The page is built from Mesa's SolaraViz parts: :func:`mesa.visualization.solara_viz.ModelController`
(Reset / Play / Step), :func:`~mesa.visualization.solara_viz.UserInputs` with Mesa
:class:`~mesa.visualization.Slider` and select inputs for the controls, and Mesa's update
counter that redraws every component after a step. The model is
:class:`simulation.dashboard.worlds.TwoWorlds`: the same consumers and seed in both worlds, so
every difference is the channel's doing. The lessons of the lesson plan
(:mod:`simulation.dashboard.lessons`) are chosen in the sidebar.
"""

from __future__ import annotations

import errno
import html
import os
import socket
import warnings

# Before Solara reads its settings: serve the bundled assets ourselves, no telemetry.
os.environ.setdefault("SOLARA_ASSETS_PROXY", "True")
os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
os.environ.setdefault("SOLARA_THEME_SHOW_BANNER", "False")

import numpy as np
import solara
import solara.checks
import solara.server.settings
from mesa.visualization import Slider
from mesa.visualization.solara_viz import ModelController, UserInputs
from mesa.visualization.utils import force_update, update_counter

from simulation.core.state import IMMIGRANT
from simulation.dashboard.drawing import (
    AD_COLOR,
    FANPAGE_COLOR,
    MAX_TIES_SHOWN,
    REPLY_COLOR,
    WOM_NEGATIVE,
    WOM_POSITIVE,
    draw_networked,
    draw_sender,
    is_complete,
    metrics_svg,
    network_positions,
)
from simulation.dashboard.lessons import LESSONS, lesson_controls
from simulation.dashboard.worlds import CONTROLS, DEFAULTS, HORIZON, TwoWorlds
from simulation.errors import WomsimError
from simulation.outputs.snapshots import UNAWARE_COLOR

# Also when `solara run` imported Solara before this module.
solara.server.settings.telemetry.mixpanel_enable = False
solara.settings.assets.proxy = True
solara.server.settings.theme.show_banner = False
# `solara run` in development mode embeds an invisible iframe from solara.dev (a one-off
# "installation works" check): the dashboard makes no request outside this machine.
solara.checks.should_perform_solara_check = lambda: False

__all__ = ["Page", "main_viz", "page"]

TITLE = "womsim classroom: broadcast vs. word of mouth"
OWN_SETTINGS = "(own settings)"
FEED_POSTS = 8
PLAY_INTERVAL_MS = 150

CSS = """
.womsim-week { font-size: 1.6rem; font-weight: 600; }
.womsim-world h3 { margin: 0 0 2px 0; }
.womsim-caption { color: #555; font-size: 0.88rem; margin: 0; }
.womsim-legend { font-size: 0.85rem; color: #333; }
.womsim-legend span.item { margin-right: 14px; white-space: nowrap; }
.womsim-plots svg { display: block; margin: 0 auto; }
.womsim-panel img { width: 100%; max-width: 500px; height: auto; display: block; margin: 0 auto; }
.womsim-feed table { border-collapse: collapse; width: 100%; font-size: 0.85rem; }
.womsim-feed td { border-top: 1px solid #e3e3e3; padding: 3px 6px; vertical-align: top; }
.womsim-badge { display: inline-block; min-width: 3.2em; text-align: center; color: white;
                border-radius: 4px; padding: 0 4px; font-weight: 600; }
.womsim-reply { color: #006b4f; }
.womsim-spin { color: #a01010; }
"""


# ----------------------------------------------------------------------------------------
# Controls
# ----------------------------------------------------------------------------------------
def user_params(values: dict) -> dict:
    """Mesa UserInputs specs for the controls, showing the current ``values``."""
    out: dict = {}
    for name, c in CONTROLS.items():
        if c.choices:
            out[name] = {"type": "Select", "label": c.label, "value": values[name],
                         "values": list(c.choices)}
        else:
            dtype = int if name in ("n_consumers", "seed") else float
            label = f"{c.label}: {dtype(values[name]):g}"
            out[name] = Slider(label, value=dtype(values[name]), min=dtype(c.low),
                               max=dtype(c.high), step=dtype(c.step), dtype=dtype)
    return out


# ----------------------------------------------------------------------------------------
# Components
# ----------------------------------------------------------------------------------------
@solara.component
def WeekCounter(world: TwoWorlds):
    update_counter.get()
    end = "" if world.running else " (end: press Reset)"
    solara.HTML(tag="div", unsafe_innerHTML=f"Week {world.steps} of {HORIZON}{end}",
                classes=["womsim-week"], attributes={"data-week": str(world.steps)})


def _swatch(color: str, shape: str = "line") -> str:
    if shape == "line":
        return (f'<svg width="22" height="10"><line x1="1" y1="5" x2="21" y2="5" '
                f'stroke="{color}" stroke-width="3"/></svg>')
    if shape == "ring":
        return (f'<svg width="14" height="14"><circle cx="7" cy="7" r="5" fill="none" '
                f'stroke="{color}" stroke-width="2"/></svg>')
    if shape == "square":
        return f'<svg width="12" height="12"><rect x="1" y="1" width="10" height="10" fill="{color}"/></svg>'
    return f'<svg width="12" height="12"><circle cx="6" cy="6" r="5" fill="{color}"/></svg>'


LEGEND = (
    '<div class="womsim-legend">'
    '<span class="item">colour = attitude: '
    '<svg width="90" height="10"><defs><linearGradient id="womsim-rdbu">'
    '<stop offset="0" stop-color="#67001f"/><stop offset="0.5" stop-color="#f7f7f7"/>'
    '<stop offset="1" stop-color="#053061"/></linearGradient></defs>'
    '<rect width="90" height="10" fill="url(#womsim-rdbu)" stroke="#999"/></svg> -1 .. +1, '
    f'{_swatch(UNAWARE_COLOR, "dot")} unaware</span>'
    '<span class="item">size = loyalty</span>'
    f'<span class="item">{_swatch("#777", "dot")} digital native {_swatch("#777", "square")} digital immigrant</span>'
    f'<span class="item">{_swatch(AD_COLOR)} ad this week {_swatch(FANPAGE_COLOR)} fan page</span>'
    f'<span class="item">{_swatch(WOM_POSITIVE)} / {_swatch(WOM_NEGATIVE)} positive / negative '
    'word of mouth (black outline: talker)</span>'
    f'<span class="item">{_swatch(REPLY_COLOR, "ring")} the brand replied to their post</span>'
    '</div>')


@solara.component
def SenderWorld(world: TwoWorlds):
    update_counter.get()
    deps = [id(world), world.steps]
    fig = solara.use_memo(lambda: draw_sender(world), deps)
    e = world.events["sender"]
    with solara.Column(classes=["womsim-world", "womsim-sender"], gap="4px"):
        solara.HTML(tag="h3", unsafe_innerHTML="Sender &rarr; receiver")
        solara.HTML(tag="p", classes=["womsim-caption"], unsafe_innerHTML=(
            "The brand in the centre sends; consumers receive. No ties between consumers, "
            "no public posts: nobody can answer."))
        with solara.Div(classes=["womsim-panel", "womsim-panel-sender"]):
            solara.FigureMatplotlib(fig, dependencies=deps, format="png")
        solara.HTML(tag="p", classes=["womsim-caption"], unsafe_innerHTML=(
            f"This week: <b>{int(e.ads.sum())}</b> consumers reached by ads, "
            f"<b>{int(e.fanpage.sum())}</b> saw the fan page."))
        solara.HTML(tag="div", classes=["womsim-plots", "womsim-plots-sender"],
                    unsafe_innerHTML=metrics_svg(world.sender, public_record=False))


@solara.component
def NetworkedWorld(world: TwoWorlds):
    update_counter.get()
    deps = [id(world), world.steps]
    fig = solara.use_memo(lambda: draw_networked(world), deps)
    e = world.events["networked"]
    G = world.networked.graph
    talkers, good = int(e.talked.sum()), int(e.positive.sum())
    with solara.Column(classes=["womsim-world", "womsim-networked"], gap="4px"):
        solara.HTML(tag="h3", unsafe_innerHTML="Networked")
        solara.HTML(tag="p", classes=["womsim-caption"], unsafe_innerHTML=(
            f"The same consumers on a social graph ({html.escape(str(G.graph.get('source', world.params.network)))}, "
            f"{G.number_of_nodes()} consumers, {G.number_of_edges()} ties): they talk to their "
            "contacts and post in public, where the brand can answer."
            + (f" Everyone knows everyone: ties are not drawn, and up to {MAX_TIES_SHOWN} of "
               "each talker's ties are highlighted." if is_complete(world) else "")))
        with solara.Div(classes=["womsim-panel", "womsim-panel-networked"]):
            solara.FigureMatplotlib(fig, dependencies=deps, format="png")
        solara.HTML(tag="p", classes=["womsim-caption"], unsafe_innerHTML=(
            f"This week: <b>{talkers}</b> talked ({good} positive, {talkers - good} negative), "
            f"<b>{int(e.posted.sum())}</b> posted in public, the brand replied to "
            f"<b>{int(e.replied.sum())}</b>; <b>{int(e.ads.sum())}</b> reached by ads."))
        solara.HTML(tag="div", classes=["womsim-plots", "womsim-plots-networked"],
                    unsafe_innerHTML=metrics_svg(world.networked, public_record=True))


def _signed(x: float) -> str:
    return f"+{x:g}" if x > 0 else f"{x:g}"


def _sentiment_badge(x: float) -> str:
    color = WOM_POSITIVE if x > 0.05 else (WOM_NEGATIVE if x < -0.05 else "#777777")
    return f'<span class="womsim-badge" style="background:{color}">{x:+.2f}</span>'


def feed_html(world: TwoWorlds, n: int = FEED_POSTS) -> str:
    """The latest public posts of the networked world, newest first, with the brand's reply."""
    r = world.networked.record
    slots = r.slots()
    if len(slots) == 0:
        return ('<div class="womsim-feed"><p class="womsim-caption">No public posts yet: '
                "posts appear once aware consumers who are online start talking.</p></div>")
    latest = slots[np.argsort(-r.seq[slots])][:n]
    segment = world.networked.state.segment
    rows = []
    for i in latest:
        who = "digital immigrant" if segment[r.author[i]] == IMMIGRANT else "digital native"
        if not r.replied[i]:
            reply = '<span class="womsim-caption">no reply</span>'
        elif r.spin[i]:
            reply = (f'<span class="womsim-spin">brand: "quality is {r.reply_claim[i]:+.2f}": '
                     "the author saw through the spin and posted a backlash</span>")
        else:
            outcome = (" &middot; complaint resolved" if r.resolved[i] else
                       (" &middot; complaint not resolved" if r.sentiment[i] < 0 else ""))
            reply = f'<span class="womsim-reply">brand: "quality is {r.reply_claim[i]:+.2f}"{outcome}</span>'
        rows.append(
            f"<tr><td>week {int(r.step[i])}</td><td>{_sentiment_badge(float(r.sentiment[i]))}</td>"
            f"<td>consumer {int(r.author[i])} ({who}) reports quality "
            f"{float(r.content[i]):+.2f}<br>{reply}</td></tr>")
    total = r.total_posts
    return (f'<div class="womsim-feed"><p class="womsim-caption">{total} posts so far, '
            f"{r.total_replies} brand replies; latest {len(latest)}:</p>"
            f"<table>{''.join(rows)}</table></div>")


@solara.component
def Feed(world: TwoWorlds):
    update_counter.get()
    with solara.Column(classes=["womsim-feed-box"], gap="2px"):
        solara.HTML(tag="h3", unsafe_innerHTML="Public feed (networked world)")
        solara.HTML(tag="div", unsafe_innerHTML=feed_html(world))


@solara.component
def Page():
    controls = solara.use_reactive(dict(DEFAULTS))
    lesson = solara.use_reactive(OWN_SETTINGS)
    first = solara.use_memo(lambda: TwoWorlds(**DEFAULTS), [])
    model = solara.use_reactive(first)
    play_interval = solara.use_reactive(PLAY_INTERVAL_MS)
    render_interval = solara.use_reactive(1)
    use_threads = solara.use_reactive(False)
    world = model.value

    def rebuild(values: dict) -> None:
        controls.value = values
        model.value = TwoWorlds(**values)
        force_update()

    def on_control(name, value) -> None:
        if controls.value.get(name) != value:
            rebuild({**controls.value, name: value})

    def on_lesson(name) -> None:
        lesson.value = name
        if name in LESSONS:
            rebuild(lesson_controls(name))

    solara.Style(CSS)
    solara.Title(TITLE)
    with solara.AppBar():
        solara.AppBarTitle(TITLE)

    with solara.Sidebar(), solara.Column():
        with solara.Card("Lesson plan"):
            solara.Select("Lesson", value=lesson.value, values=[OWN_SETTINGS, *LESSONS],
                          on_value=on_lesson)
        with solara.Card("Run"):
            ModelController(model, model_parameters=controls, play_interval=play_interval,
                            render_interval=render_interval, use_threads=use_threads)
            solara.SliderInt("Play interval (ms)", value=play_interval, min=0, max=1000, step=50)
        with solara.Card("Strategy and consumers"):
            UserInputs(user_params(controls.value), on_change=on_control)
            note = "Changing a control restarts both worlds at week 0."
            if world.params.network in ("karate", "les_miserables"):
                note = (f"{world.params.network} has its own size: {world.networked.n_consumers} "
                        f"consumers. {note}")
            solara.HTML(tag="p", classes=["womsim-caption"], unsafe_innerHTML=note)

    with solara.Column(style="padding: 0 8px;"):
        with solara.Row(style="align-items: baseline; flex-wrap: wrap;", gap="24px"):
            WeekCounter(world)
            solara.HTML(tag="div", classes=["womsim-settings"], unsafe_innerHTML=(
                f"strategy <b>{html.escape(world.params.strategy)}</b>, budget {world.params.budget:g}, "
                f"quality {_signed(world.params.quality)}, hype {world.params.hype:g}, "
                f"honesty {world.params.honesty:g}, immigrants {world.params.immigrant_share:g}, "
                f"seed {world.seed}"))
        if lesson.value in LESSONS:
            solara.Info(f"{lesson.value}: {LESSONS[lesson.value].explanation}",
                        classes=["womsim-explanation"])
        solara.HTML(tag="div", unsafe_innerHTML=LEGEND)
        with solara.Columns([1, 1], gutters_dense=True):
            SenderWorld(world)
            with solara.Column():
                NetworkedWorld(world)
                Feed(world)


page = Page


# ----------------------------------------------------------------------------------------
# Server
# ----------------------------------------------------------------------------------------
def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host if host != "0.0.0.0" else "127.0.0.1", 0))
        return s.getsockname()[1]


def check_port(host: str, port: int) -> None:
    """Raise a one-line :class:`WomsimError` if the server could not listen on ``host:port``.

    Binds a test socket the way uvicorn will (``SO_REUSEADDR``, so a port in TIME_WAIT
    after a previous run counts as free), before the address is printed and the layout
    computed: a busy port is said at once, not after Solara has started.
    """
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise WomsimError(f"port {port} on {host} is in use (another dashboard?): choose another "
                              f"with --port N (e.g. --port {_free_port(host)})") from None
        raise WomsimError(f"cannot listen on {host} port {port}: {exc.strerror or exc} "
                          "(check --host, or choose another --port)") from None


def _quiet_cookie_warning() -> None:
    # Solara's page handler (solara/server/starlette.py, root) wants SameSite=None session
    # cookies so that a page embedded in an iframe (e.g. on Hugging Face) keeps its session;
    # those need https or the host name "localhost". On http://127.0.0.1 (and --public) it
    # falls back to SameSite=Lax, which is right for a page opened directly, as here, and
    # says so in a 12-line UserWarning on the first page load. Solara has no setting for it.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https",
                            category=UserWarning, module=r"solara\.server\.starlette")


def main_viz(host: str = "127.0.0.1", port: int = 8765, open_browser: bool = False) -> int:
    """``run.py viz``: serve the dashboard on ``host:port`` until Ctrl+C; returns the exit code.

    Runs Solara's server in production mode (no auto-restart, no version check, no
    telemetry) with the front-end assets served locally from ``solara-assets``. A port in
    use is a :class:`WomsimError` before anything starts; Ctrl+C (or SIGTERM) stops the
    server with one line and exit code 0.
    """
    import click  # noqa: PLC0415 - Solara's command line library, only when serving
    from solara.__main__ import run  # noqa: PLC0415 - the server only when serving, not for the page

    port = _free_port(host) if int(port) == 0 else int(port)
    check_port(host, port)
    url = f"http://{host}:{port}/"
    where = f" (all interfaces; on this machine: http://127.0.0.1:{port}/)" if host == "0.0.0.0" else ""
    print(f"womsim dashboard: {url}{where}  (Ctrl+C to stop)", flush=True)
    # Make sure the layout of the default network is warm before the first visitor.
    network_positions(TwoWorlds(**DEFAULTS))
    _quiet_cookie_warning()
    args = ["simulation.dashboard.app", "--host", host, "--port", str(port), "--production",
            "--no-check-version", "--open" if open_browser else "--no-open",
            "--log-level", "warning", "--no-access-log"]
    try:
        run.main(args=args, standalone_mode=False)
    except (KeyboardInterrupt, click.exceptions.Abort):
        # uvicorn shuts down on Ctrl+C / SIGTERM, then raises the signal again; (rich-)click
        # turns the KeyboardInterrupt into Abort, which standalone_mode=False lets through.
        pass
    print("womsim dashboard: stopped", flush=True)
    return 0
