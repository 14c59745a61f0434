"""The classroom dashboard: the sender world beside the networked world, each with its own strategy, live.

Start it with ``python run.py viz`` (``--port``, ``--host``; ``--public`` binds 0.0.0.0;
``--lang de`` for German) or ``solara run simulation/dashboard/app.py``. Both serve
Solara's front-end from the ``solara-assets`` package through Solara's local asset proxy,
so the page needs no CDN and works offline.

The page is built from Mesa's SolaraViz parts: :func:`mesa.visualization.solara_viz.ModelController`
(Reset / Play / Step), :func:`~mesa.visualization.solara_viz.UserInputs` with Mesa
:class:`~mesa.visualization.Slider` and select inputs for the controls, and Mesa's update
counter that redraws every component after a step. The model is
:class:`simulation.dashboard.worlds.TwoWorlds`: the same consumers, seed, budget and market
in both worlds; the sender world (left, default broadcast) and the networked world (right,
default honest dialogue) each run their own strategy of the focal brand, or the same one
("same strategy in both worlds": then every difference is the channel's doing). A scandal or
a product defect (docs/ODD.md, 7.12) can hit both worlds in the same week, by a button or
scheduled by the crisis preset. The lessons of the lesson plan
(:mod:`simulation.dashboard.lessons`) are chosen in the sidebar. Every text on the page goes
through :func:`simulation.dashboard.i18n.translator` (English or German, switchable on the
page; the default is ``WOMSIM_LANG``, set by ``run.py viz --lang``).
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

from simulation.core.metrics import brand_rating, followers, reply_rate, spend
from simulation.core.state import IMMIGRANT
from simulation.dashboard.drawing import (
    AD_COLOR,
    COLOUR_BY,
    CRISIS_COLOR,
    FANPAGE_COLOR,
    MAX_TIES_SHOWN,
    REPLY_COLOR,
    WOM_NEGATIVE,
    WOM_POSITIVE,
    brand_color,
    draw_networked,
    draw_sender,
    is_complete,
    metrics_svg,
    network_positions,
)
from simulation.dashboard.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_, check_language, translator
from simulation.dashboard.lessons import LESSONS, lesson_controls
from simulation.dashboard.worlds import CONTROLS, DEFAULTS, HORIZON, MARKET_NOTE, NETWORK_LABELS, TwoWorlds
from simulation.errors import WomsimError
from simulation.outputs.snapshots import UNAWARE_COLOR

# Also when `solara run` imported Solara before this module.
solara.server.settings.telemetry.mixpanel_enable = False
solara.settings.assets.proxy = True
solara.server.settings.theme.show_banner = False
# `solara run` in development mode embeds an invisible iframe from solara.dev (a one-off
# "installation works" check): the dashboard makes no request outside this machine.
solara.checks.should_perform_solara_check = lambda: False

__all__ = ["LANG_ENV", "Page", "main_viz", "page"]

#: The page's language when it is made (``run.py viz --lang`` sets it); switchable on the page.
LANG_ENV = "WOMSIM_LANG"
#: Each language in its own name (not translated: a German teacher looks for "Deutsch").
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch"}
TITLE = N_("womsim classroom: broadcast vs. word of mouth")
FEED_POSTS = 8
PLAY_INTERVAL_MS = 150
#: Controls with a place of their own on the page (the others go through UserInputs).
STRATEGY_CONTROLS = ("same_strategy", "strategy_sender", "strategy_networked")
CRISIS_CONTROLS = ("crisis", "crisis_week")
CSS = """
.womsim-week { font-size: 1.6rem; font-weight: 600; }
.womsim-world h3 { margin: 0 0 2px 0; font-size: 1.25rem; }
.womsim-world h3 .womsim-strategy { color: #0072B2; }
.womsim-caption { color: #555; font-size: 0.9rem; margin: 0; }
.womsim-settings { font-size: 1.0rem; }
.womsim-legend { font-size: 0.88rem; color: #333; }
.womsim-legend span.item { margin-right: 14px; }
.womsim-legend span.item > span { white-space: nowrap; }
.womsim-plots svg { display: block; margin: 0 auto; }
.womsim-panel img { width: 100%; max-width: 360px; height: auto; display: block; margin: 0 auto; }
.womsim-feed table { border-collapse: collapse; width: 100%; font-size: 0.88rem; }
.womsim-feed td { border-top: 1px solid #e3e3e3; padding: 3px 6px; vertical-align: top; }
.womsim-badge { display: inline-block; min-width: 3.2em; text-align: center; color: white;
                border-radius: 4px; padding: 0 4px; font-weight: 600; }
.womsim-brand { display: inline-block; color: white; border-radius: 4px; padding: 0 5px;
                font-weight: 600; white-space: nowrap; }
.womsim-scandal-tag { color: white; background: #B2182B; border-radius: 4px; padding: 0 4px;
                      font-weight: 600; }
.womsim-reply { color: #006b4f; }
.womsim-spin { color: #a01010; }
.womsim-ratings span { margin-right: 12px; white-space: nowrap; }
.womsim-roi table { border-collapse: collapse; font-size: 0.95rem; }
.womsim-roi td, .womsim-roi th { padding: 2px 10px; text-align: left; }
"""


def page_language() -> str:
    """The language the page starts in: ``WOMSIM_LANG`` if it is one of LANGUAGES, else English."""
    lang = os.environ.get(LANG_ENV, DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def choice_name(name: str, value: str, lang: str) -> str:
    """Choice ``value`` of control ``name`` as its select shows it (its ``choice_labels``
    msgid, translated; a choice without a label, e.g. a network, as it is)."""
    labels = CONTROLS[name].choice_labels or {}
    return translator(lang)(labels[value]) if value in labels else str(value)


def strategy_name(value: str, lang: str) -> str:
    return choice_name("strategy_networked", value, lang)


# ----------------------------------------------------------------------------------------
# Controls
# ----------------------------------------------------------------------------------------
def user_params(values: dict, lang: str, skip=STRATEGY_CONTROLS + CRISIS_CONTROLS) -> dict:
    """Mesa UserInputs specs for the controls not in ``skip``, showing the current ``values``
    with translated labels and choice names."""
    _ = translator(lang)
    out: dict = {}
    for name, c in CONTROLS.items():
        if name in skip:
            continue
        label = _(c.label)
        if c.kind == "choice":
            out[name] = {"type": "Select", "label": label, "value": choice_name(name, values[name], lang),
                         "values": [choice_name(name, v, lang) for v in c.choices]}
        elif c.kind == "bool":
            out[name] = {"type": "Checkbox", "label": label, "value": bool(values[name])}
        else:
            dtype = int if isinstance(c.default, int) else float
            out[name] = Slider(f"{label}: {dtype(values[name]):g}", value=dtype(values[name]),
                               min=dtype(c.low), max=dtype(c.high), step=dtype(c.step), dtype=dtype)
    return out


def control_value(name: str, shown, lang: str):
    """The value for TwoWorlds of control ``name`` from what its input shows (a choice name
    back to its key)."""
    c = CONTROLS[name]
    if c.kind == "choice":
        for v in c.choices:
            if shown in (v, choice_name(name, v, lang)):
                return v
    if c.kind == "slider" and isinstance(c.default, int):
        return int(shown)
    return shown


# ----------------------------------------------------------------------------------------
# Components
# ----------------------------------------------------------------------------------------
@solara.component
def WeekCounter(world: TwoWorlds, lang: str):
    update_counter.get()
    _ = translator(lang)
    text = _("Week {week} of {horizon}").format(week=world.steps, horizon=HORIZON)
    if not world.running:
        text += " " + _("(end: press Reset)")
    solara.HTML(tag="div", unsafe_innerHTML=html.escape(text),
                classes=["womsim-week"], attributes={"data-week": str(world.steps)})


def _swatch(color: str, shape: str = "line") -> str:
    if shape == "line":
        return (f'<svg width="22" height="10"><line x1="1" y1="5" x2="21" y2="5" '
                f'stroke="{color}" stroke-width="3"/></svg>')
    if shape == "dash":
        return (f'<svg width="22" height="10"><line x1="1" y1="5" x2="21" y2="5" '
                f'stroke="{color}" stroke-width="1.5" stroke-dasharray="3 2"/></svg>')
    if shape == "ring":
        return (f'<svg width="14" height="14"><circle cx="7" cy="7" r="5" fill="none" '
                f'stroke="{color}" stroke-width="2"/></svg>')
    if shape == "square":
        return f'<svg width="12" height="12"><rect x="1" y="1" width="10" height="10" fill="{color}"/></svg>'
    return f'<svg width="12" height="12"><circle cx="6" cy="6" r="5" fill="{color}"/></svg>'


def brand_label(b: int, lang: str) -> str:
    _ = translator(lang)
    return _("Brand {brand} (ours)").format(brand=b) if b == 0 else _("Brand {brand}").format(brand=b)


def legend_html(lang: str, colour_by: str, n_brands: int) -> str:
    """What the colours, shapes and lines of the two panels mean."""
    _ = translator(lang)
    e = html.escape
    if colour_by == "attitude":
        colour = (f'{e(_("colour = attitude to our brand"))}: '
                  '<svg width="90" height="10"><defs><linearGradient id="womsim-rdbu">'
                  '<stop offset="0" stop-color="#67001f"/><stop offset="0.5" stop-color="#f7f7f7"/>'
                  '<stop offset="1" stop-color="#053061"/></linearGradient></defs>'
                  '<rect width="90" height="10" fill="url(#womsim-rdbu)" stroke="#999"/></svg> -1 .. +1, '
                  f'{_swatch(UNAWARE_COLOR, "dot")} {e(_("unaware of our brand"))}')
        size = e(_("size = loyalty to our brand"))
    else:
        brands = " ".join(f'{_swatch(brand_color(b), "dot")} {e(brand_label(b, lang))}' for b in range(n_brands))
        meaning = _("colour = preferred brand (of the latest purchase; before one: the best liked brand known)")
        colour = (f'{e(meaning)}: {brands} {_swatch(UNAWARE_COLOR, "dot")} {e(_("knows no brand"))}')
        size = e(_("size = loyalty to that brand"))
    return (
        '<div class="womsim-legend">'
        f'<span class="item">{colour}</span>'
        f'<span class="item">{size}</span>'
        f'<span class="item">{_swatch("#777", "dot")} {e(_("digital native"))} '
        f'{_swatch("#777", "square")} {e(_("digital immigrant"))}</span>'
        f'<span class="item">{_swatch(AD_COLOR)} {e(_("ad this week"))} '
        f'{_swatch(FANPAGE_COLOR)} {e(_("fan page"))}</span>'
        f'<span class="item">{_swatch(WOM_POSITIVE)} / {_swatch(WOM_NEGATIVE)} '
        f'{e(_("positive / negative word of mouth (black outline: talker)"))}</span>'
        f'<span class="item">{_swatch(REPLY_COLOR, "ring")} {e(_("our brand replied to their post"))}</span>'
        f'<span class="item">{_swatch(CRISIS_COLOR, "dash")} {e(_("week of a crisis"))}</span>'
        '</div>')


def charts_legend_html(lang: str, n_brands: int) -> str:
    _ = translator(lang)
    e = html.escape
    brands = " ".join(f'{_swatch(brand_color(b))} {e(brand_label(b, lang))}' for b in range(n_brands))
    dashed = _("awareness chart: share who bought; rating chart: recent public sentiment")
    return (f'<div class="womsim-legend"><span class="item">{e(_("Market share"))}: {brands}</span>'
            f'<span class="item">{e(_("NPS: line = survey, band = its 95 % interval"))}</span>'
            f'<span class="item">{_swatch("#666", "dash")} {e(dashed)}</span>'
            '</div>')


def _world_heading(title: str, strategy: str, side: str, lang: str) -> None:
    solara.HTML(tag="h3", classes=[f"womsim-heading-{side}"], attributes={"data-strategy": strategy},
                unsafe_innerHTML=(f'{html.escape(title)}: <span class="womsim-strategy">'
                                  f'{html.escape(strategy_name(strategy, lang))}</span>'))


def spending_html(world: TwoWorlds, key: str, lang: str) -> str:
    """What our brand has spent so far in world ``key``, as a share of its budget, and its fan
    page's followers: a fan page or a dialogue spends only what it uses (docs/ODD.md 7.11), so
    the same budget buys very different amounts of marketing."""
    _ = translator(lang)
    model = world.worlds[key]
    budget = model.params.budget * model.n_consumers * world.steps
    share = "\u2013" if budget <= 0 else f"{100 * spend(model) / budget:.0f} %"
    return html.escape(_("So far our brand has spent {spent} of its budget; {followers} of consumers follow "
                         "its fan page.").format(spent=share, followers=f"{100 * followers(model):.0f} %"))


@solara.component
def SenderWorld(world: TwoWorlds, lang: str, colour_by: str):
    update_counter.get()
    _ = translator(lang)
    deps = [id(world), world.steps, lang, colour_by]
    fig = solara.use_memo(lambda: draw_sender(world, lang, colour_by), deps)
    e = world.events["sender"]
    strategy = world.strategies["sender"]
    with solara.Column(classes=["womsim-world", "womsim-sender"], gap="4px"):
        _world_heading(_("Sender → receiver"), strategy, "sender", lang)
        solara.HTML(tag="p", classes=["womsim-caption"], unsafe_innerHTML=html.escape(_(
            "Our brand in the centre sends; consumers receive. No ties between consumers, "
            "no public posts: nobody can answer.")) + " " + html.escape(_(MARKET_NOTE)))
        with solara.Div(classes=["womsim-panel", "womsim-panel-sender"]):
            solara.FigureMatplotlib(fig, dependencies=deps, format="png")
        solara.HTML(tag="p", classes=["womsim-caption", "womsim-week-sender"], unsafe_innerHTML=html.escape(_(
            "This week: {ads} consumers reached by ads, {fans} saw the fan page.").format(
                ads=int(e.ads.sum()), fans=int(e.fanpage.sum()))))
        solara.HTML(tag="p", classes=["womsim-caption", "womsim-spend-sender"],
                    unsafe_innerHTML=spending_html(world, "sender", lang))
        if any(kind == "scandal" for _week, kind in world.crises):
            solara.HTML(tag="p", classes=["womsim-caption", "womsim-no-scandal"], unsafe_innerHTML=html.escape(_(
                "The scandal lives on the public record: this world has none, so nobody here reads about it "
                "(the red line marks it for comparison).")))
        solara.HTML(tag="div", classes=["womsim-plots", "womsim-plots-sender"],
                    unsafe_innerHTML=metrics_svg(world.history("sender"), world.crises, lang,
                                                 public_record=False, n_brands=world.sender.params.n_brands))


@solara.component
def NetworkedWorld(world: TwoWorlds, lang: str, colour_by: str):
    update_counter.get()
    _ = translator(lang)
    deps = [id(world), world.steps, lang, colour_by]
    fig = solara.use_memo(lambda: draw_networked(world, lang, colour_by), deps)
    e = world.events["networked"]
    G = world.networked.graph
    talkers, good = int(e.talked.sum()), int(e.positive.sum())
    strategy = world.strategies["networked"]
    caption = _("The same consumers on a social graph ({network}, {n} consumers, {ties} ties): they talk to "
                "their contacts and post in public, where our brand can answer.").format(
        network=_(NETWORK_LABELS.get(world.networked.params.network, world.networked.params.network)),
        n=G.number_of_nodes(),
        ties=G.number_of_edges())
    if is_complete(world):
        caption += " " + _("Everyone knows everyone: ties are not drawn, and up to {k} of each talker's "
                           "ties are highlighted.").format(k=MAX_TIES_SHOWN)
    with solara.Column(classes=["womsim-world", "womsim-networked"], gap="4px"):
        _world_heading(_("Networked"), strategy, "networked", lang)
        solara.HTML(tag="p", classes=["womsim-caption"], unsafe_innerHTML=html.escape(caption))
        with solara.Div(classes=["womsim-panel", "womsim-panel-networked"]):
            solara.FigureMatplotlib(fig, dependencies=deps, format="png")
        solara.HTML(tag="p", classes=["womsim-caption", "womsim-week-networked"], unsafe_innerHTML=html.escape(_(
            "This week: {talkers} talked about our brand ({good} positive, {bad} negative), {posts} posted "
            "in public, our brand replied to {replies}; {ads} reached by ads, {fans} saw the fan page.").format(
                talkers=talkers, good=good, bad=talkers - good, posts=int(e.posted.sum()),
                replies=int(e.replied.sum()), ads=int(e.ads.sum()), fans=int(e.fanpage.sum()))))
        solara.HTML(tag="p", classes=["womsim-caption", "womsim-spend-networked"],
                    unsafe_innerHTML=spending_html(world, "networked", lang))
        solara.HTML(tag="div", classes=["womsim-plots", "womsim-plots-networked"],
                    unsafe_innerHTML=metrics_svg(world.history("networked"), world.crises, lang,
                                                 public_record=True, n_brands=world.networked.params.n_brands))


def _sentiment_badge(x: float) -> str:
    color = WOM_POSITIVE if x > 0.05 else (WOM_NEGATIVE if x < -0.05 else "#777777")
    return f'<span class="womsim-badge" style="background:{color}">{x:+.2f}</span>'


def _brand_tag(b: int, lang: str) -> str:
    return (f'<span class="womsim-brand womsim-brand-{b}" style="background:{brand_color(b)}">'
            f"{html.escape(brand_label(b, lang))}</span>")


def feed_html(world: TwoWorlds, lang: str = DEFAULT_LANGUAGE, n: int = FEED_POSTS) -> str:
    """The networked world's public record: each brand's rating on the lasting record
    (:func:`simulation.core.metrics.brand_rating`), our brand's reply rate, and the latest
    public posts about every brand, newest first, with our brand's replies and the scandal
    posts marked (docs/ODD.md, 7.7 and 7.12)."""
    _ = translator(lang)
    e = html.escape
    m = world.networked
    r = m.record
    n_brands = m.params.n_brands
    ratings = "".join(
        f"<span>{_brand_tag(b, lang)} {brand_rating(r, b, m.params.rating_prior_posts):+.2f} "
        f"({e(_('{posts} posts').format(posts=r.totals(b).posts))})</span>" for b in range(n_brands))
    rate = reply_rate(m)
    rate_text = _("Our brand's reply rate: {rate}").format(
        rate="\u2013" if not np.isfinite(rate) else f"{100 * rate:.0f} %")
    head = (f'<p class="womsim-ratings"><b>{e(_("Public rating (all posts ever)"))}:</b> {ratings}</p>'
            f'<p class="womsim-caption womsim-reply-rate">{e(rate_text)}</p>')
    slots = r.slots()
    if len(slots) == 0:
        return (f'<div class="womsim-feed">{head}<p class="womsim-caption">'
                f'{e(_("No public posts yet: posts appear once aware consumers who are online start talking."))}'
                "</p></div>")
    latest = slots[np.argsort(-r.seq[slots])][:n]
    segment = m.state.segment
    rows = []
    for i in latest:
        who = _("digital immigrant") if segment[r.author[i]] == IMMIGRANT else _("digital native")
        b = int(r.brand[i])
        if r.scandal[i]:
            text = (f'<span class="womsim-scandal-tag">{e(_("scandal"))}</span> '
                    + e(_("consumer {id} ({segment}) writes about the firm's conduct").format(
                        id=int(r.author[i]), segment=who)))
        else:
            text = e(_("consumer {id} ({segment}) reports quality {quality}").format(
                id=int(r.author[i]), segment=who, quality=f"{float(r.content[i]):+.2f}"))
        if not r.replied[i]:
            reply = f'<span class="womsim-caption">{e(_("no reply"))}</span>' if b == 0 else ""
        elif r.spin[i]:
            reply = ('<span class="womsim-spin">' + e(_(
                'brand: "quality is {claim}": the author saw through the spin and posted a backlash').format(
                    claim=f"{r.reply_claim[i]:+.2f}")) + "</span>")
        else:
            outcome = (_("complaint resolved") if r.resolved[i] else
                       (_("complaint not resolved") if r.sentiment[i] < 0 else ""))
            reply = ('<span class="womsim-reply">' + e(_('brand: "quality is {claim}"').format(
                claim=f"{r.reply_claim[i]:+.2f}")) + (f" &middot; {e(outcome)}" if outcome else "") + "</span>")
        week = e(_("week {week}").format(week=int(r.step[i])))
        rows.append(
            f'<tr class="womsim-post{" womsim-post-scandal" if r.scandal[i] else ""}"><td>{week}</td>'
            f"<td>{_brand_tag(b, lang)}</td><td>{_sentiment_badge(float(r.sentiment[i]))}</td>"
            f"<td>{text}{'<br>' + reply if reply else ''}</td></tr>")
    count = _("{posts} posts so far, {replies} brand replies; latest {n}:").format(
        posts=r.total_posts, replies=r.total_replies, n=len(latest))
    return (f'<div class="womsim-feed">{head}<p class="womsim-caption">{e(count)}</p>'
            f"<table>{''.join(rows)}</table></div>")


@solara.component
def Feed(world: TwoWorlds, lang: str):
    update_counter.get()
    _ = translator(lang)
    with solara.Column(classes=["womsim-feed-box"], gap="2px"):
        solara.HTML(tag="h3", unsafe_innerHTML=html.escape(_("Public feed (networked world)")))
        solara.HTML(tag="div", unsafe_innerHTML=feed_html(world, lang))


def _roi_cell(values: tuple[float, float, float, float], lang: str) -> str:
    _ = translator(lang)
    true, est, low, high = values

    def num(x):
        return "\u2013" if not np.isfinite(x) else f"{x:+.2f}"

    interval = "" if not (np.isfinite(low) and np.isfinite(high)) else f" [{num(low)}, {num(high)}]"
    return (f"<td>{html.escape(num(true))}</td><td>{html.escape(num(est) + interval)}</td>")


@solara.component
def RoiPanel(world: TwoWorlds, lang: str):
    """Why ROI is hard: the true ROI (against a twin without marketing) beside the firm's estimate."""
    update_counter.get()
    _ = translator(lang)
    e = html.escape
    rows = "".join(f"<tr><th>{e(title)}</th>{_roi_cell(world.roi(key), lang)}</tr>"
                   for key, title in (("sender", _("Sender → receiver")), ("networked", _("Networked"))))
    meaning = _("True ROI: what the marketing really earned, against a twin world without it. Estimated: what "
                "the firm can estimate from its own weekly sales and spend, with its 95 % interval.")
    solara.HTML(tag="div", classes=["womsim-roi"], unsafe_innerHTML=(
        f"<h3>{e(_('Why ROI is hard'))}</h3>"
        f'<p class="womsim-caption">{e(meaning)}</p>'
        f"<table><tr><th></th><th>{e(_('true ROI'))}</th><th>{e(_('estimated ROI [95 % interval]'))}</th></tr>"
        f"{rows}</table>"))


@solara.component
def RunControls(model, controls, play_interval, render_interval, use_threads, generation: int):
    """Mesa's ModelController (Reset / Play / Step), made anew for each ``generation`` of models."""
    ModelController(model, model_parameters=controls, play_interval=play_interval,
                    render_interval=render_interval, use_threads=use_threads)


def _lesson_name(lid: str, lang: str) -> str:
    return translator(lang)(LESSONS[lid].name)


@solara.component
def Page():
    lang_state = solara.use_reactive(solara.use_memo(page_language, []))
    lang = lang_state.value
    _ = translator(lang)
    controls = solara.use_reactive(dict(DEFAULTS))
    lesson = solara.use_reactive("")
    colour_by = solara.use_reactive("brand")
    first = solara.use_memo(lambda: TwoWorlds(**DEFAULTS), [])
    model = solara.use_reactive(first)
    play_interval = solara.use_reactive(PLAY_INTERVAL_MS)
    render_interval = solara.use_reactive(1)
    use_threads = solara.use_reactive(False)
    generation = solara.use_reactive(0)  # models made by the page's controls so far
    world = model.value
    values = controls.value

    def rebuild(new: dict) -> None:
        controls.value = new
        model.value = TwoWorlds(**new)
        generation.value += 1
        force_update()

    def on_control(name, shown) -> None:
        value = control_value(name, shown, lang)
        if controls.value.get(name) != value:
            rebuild({**controls.value, name: value})

    own = _("(own settings)")
    names = {_lesson_name(lid, lang): lid for lid in LESSONS}

    def on_lesson(shown) -> None:
        lid = names.get(shown, "")
        lesson.value = lid
        if lid:
            rebuild(lesson_controls(lid))

    def crisis_now(kind: str) -> None:
        (model.value.scandal_now if kind == "scandal" else model.value.defect_now)()
        force_update()

    languages = {LANGUAGE_NAMES[code]: code for code in LANGUAGES}

    solara.Style(CSS)
    solara.Title(_(TITLE))
    with solara.AppBar():
        solara.AppBarTitle(_(TITLE))

    with solara.Sidebar(), solara.Column():
        solara.Select(_("Language"), value=LANGUAGE_NAMES[lang], values=list(languages),
                      on_value=lambda name: lang_state.set(languages[name]), classes=["womsim-language"])
        shown = {_(label): key for key, label in COLOUR_BY.items()}
        solara.Select(_("Colour consumers by"), value=_(COLOUR_BY[colour_by.value]), values=list(shown),
                      on_value=lambda v: colour_by.set(shown.get(v, "brand")), classes=["womsim-colour-by"])
        with solara.Card(_("Lesson plan")):
            solara.Select(_("Lesson"), value=_lesson_name(lesson.value, lang) if lesson.value else own,
                          values=[own, *names], on_value=on_lesson, classes=["womsim-lesson"])
        with solara.Card(_("Run")):
            # a new model from the page (a lesson, a control) gets a fresh controller: Mesa's
            # keeps "running" to itself, so after a run to the end its Step would stay disabled
            RunControls(model, controls, play_interval, render_interval, use_threads,
                        generation.value).key(f"run-{generation.value}")
            solara.SliderInt(_("Play interval (ms)"), value=play_interval, min=0, max=1000, step=50)
        with solara.Card(_("Strategies")):
            same = bool(values["same_strategy"])
            solara.Switch(label=_(CONTROLS["same_strategy"].label), value=same,
                          on_value=lambda v: on_control("same_strategy", bool(v)), classes=["womsim-same"])
            strategies = [strategy_name(v, lang) for v in CONTROLS["strategy_networked"].choices]
            left = values["strategy_networked"] if same else values["strategy_sender"]
            solara.Select(_(CONTROLS["strategy_sender"].label), value=strategy_name(left, lang), values=strategies,
                          disabled=same, on_value=lambda v: on_control("strategy_sender", v),
                          classes=["womsim-strategy-sender"])
            solara.Select(_(CONTROLS["strategy_networked"].label),
                          value=strategy_name(values["strategy_networked"], lang), values=strategies,
                          on_value=lambda v: on_control("strategy_networked", v),
                          classes=["womsim-strategy-networked"])
        with solara.Card(_("Crisis")):
            with solara.Row(gap="6px", style="flex-wrap: wrap;"):
                solara.Button(_("Scandal now"), on_click=lambda: crisis_now("scandal"), color="error",
                              classes=["womsim-scandal-now"])
                solara.Button(_("Product defect now"), on_click=lambda: crisis_now("defect"), color="warning",
                              classes=["womsim-defect-now"])
            solara.HTML(tag="p", classes=["womsim-caption"], unsafe_innerHTML=html.escape(_(
                "From the next week on: a defect hits our brand in both worlds, a scandal where there is a "
                "public record (the networked world). Or schedule one:")))
            UserInputs(user_params(values, lang, skip=tuple(n for n in CONTROLS if n not in CRISIS_CONTROLS)),
                       on_change=on_control)
        with solara.Card(_("Market and consumers")):
            UserInputs(user_params(values, lang), on_change=on_control)
            note = _("Changing a control restarts both worlds at week 0.")
            network = world.networked.params.network
            if network in ("karate", "les_miserables"):
                note = _("{network} has its own size: {n} consumers.").format(
                    network=network, n=world.networked.n_consumers) + " " + note
            solara.HTML(tag="p", classes=["womsim-caption"], unsafe_innerHTML=html.escape(note))

    with solara.Column(style="padding: 0 8px;"):
        solara.HTML(tag="div", classes=["womsim-lang"], attributes={"data-lang": lang, "lang": lang},
                    style="display:none", unsafe_innerHTML=lang)
        p = world.networked.params
        with solara.Row(style="align-items: baseline; flex-wrap: wrap;", gap="24px"):
            WeekCounter(world, lang)
            settings = _("left: {left} · right: {right} · budget {budget}, quality {quality}, hype {hype}, "
                         "honesty {honesty}, immigrants {immigrants}, seed {seed}").format(
                left=strategy_name(world.strategies["sender"], lang),
                right=strategy_name(world.strategies["networked"], lang), budget=f"{p.budget:g}",
                quality=f"{p.quality:+g}" if p.quality else "0", hype=f"{p.hype:g}", honesty=f"{p.honesty:g}",
                immigrants=f"{p.immigrant_share:g}", seed=values.get("seed", ""))
            solara.HTML(tag="div", classes=["womsim-settings"], unsafe_innerHTML=html.escape(settings))
        if lesson.value in LESSONS:
            solara.Info(f"{_lesson_name(lesson.value, lang)}: {_(LESSONS[lesson.value].explanation)}",
                        classes=["womsim-explanation"])
        solara.HTML(tag="div", unsafe_innerHTML=legend_html(lang, colour_by.value, p.n_brands))
        if values.get("roi"):
            RoiPanel(world, lang)
        with solara.Columns([1, 1], gutters_dense=True):
            SenderWorld(world, lang, colour_by.value)
            NetworkedWorld(world, lang, colour_by.value)
        solara.HTML(tag="div", unsafe_innerHTML=charts_legend_html(lang, p.n_brands))
        Feed(world, lang)


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


def main_viz(host: str = "127.0.0.1", port: int = 8765, open_browser: bool = False, lang: str = "en") -> int:
    """``run.py viz``: serve the dashboard on ``host:port`` until Ctrl+C; returns the exit code.

    ``lang`` (one of :data:`~simulation.dashboard.i18n.LANGUAGES`) is the language every page
    starts in (:data:`LANG_ENV`; switchable on the page).

    Runs Solara's server in production mode (no auto-restart, no version check, no
    telemetry) with the front-end assets served locally from ``solara-assets``. A port in
    use is a :class:`WomsimError` before anything starts; Ctrl+C (or SIGTERM) stops the
    server with one line and exit code 0.
    """
    import click  # noqa: PLC0415 - Solara's command line library, only when serving
    from solara.__main__ import run  # noqa: PLC0415 - the server only when serving, not for the page

    os.environ[LANG_ENV] = check_language(lang, "--lang")  # read by each page when it is made
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
