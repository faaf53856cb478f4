"""A page's settings as widgets, bound to its URL both ways, all from one table (``core.settings``).

``SettingsForm(prefix, schema)`` is made before any widget is drawn: it applies a link's settings to the widgets (a
shared link, a lesson's preset, a config file), or restores them after a visit to another page. The page then draws
whole groups (``panels``) or single settings (``widget``) where its layout wants them, and ``finish()`` reads every
value and writes the ones that differ from their defaults back to the URL, so a copied link reproduces the page.
The values live in session state, so a page may read them before it draws their widgets: ``panels_later`` draws the
sidebar's settings after the page's first picture (``draw_panels``), or before it stops (``stop``).

Widget keys are ``<prefix>.<setting>`` (the layers widget adds ``.depth``, ``.width``, ``.per_layer``, ``.unit<i>``).
Widgets never get a ``value=``: their state is set here, in ``st.session_state``, before they are drawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NoReturn

import streamlit as st

from core.settings import MAX_COMPOSED_TEXT, Schema, Setting

LINK_KEY = "link"  # st.session_state[f"{prefix}.link"]: the query this page last wrote, as lists of strings
VALUES_KEY = "values"  # ... the values it last read
EXTRA_KEY = "extra"  # ... values from links and files that the widgets' convenient ranges did not hold
IGNORED_KEY = "ignored"  # ... the last link's settings that were not valid, each with why
RUN_KEY = "drawn_in_run"  # ... the number of the script run that last drew its widgets
RUNS_KEY = "script_runs"  # st.session_state[RUNS_KEY]: this session's full script runs (fragment reruns excluded)


def count_script_run() -> None:
    """Called by app.py at the start of every full script run, so a page can tell a rerun of itself from a return
    after another page."""
    st.session_state[RUNS_KEY] = st.session_state.get(RUNS_KEY, 0) + 1


def script_runs() -> int:
    return st.session_state.get(RUNS_KEY, 0)


def own_query(prefix: str) -> dict[str, list[str]]:
    """This page's keys in the URL (``<prefix>.*``), each with all of its values."""
    return {key: st.query_params.get_all(key) for key in st.query_params if key.startswith(prefix + ".")}


class SettingsForm:
    """The widgets of one page's settings table, and its link."""

    def __init__(self, prefix: str, schema: Schema, validate=None):
        """``validate(values)`` raises ValueError for settings that are each valid but not together (e.g. an
        Experiment over a cap); a link that fails it is ignored as a whole, with its reason."""
        self.prefix, self.schema = prefix, schema
        self._state = st.session_state
        self._later: tuple | None = None  # panels_later's arguments, until draw_panels draws them
        query, last = own_query(prefix), self._state.get(self._key(LINK_KEY))
        stored = self._state.get(self._key(VALUES_KEY))
        if query != last and (query or stored is None):  # a link from outside: a shared URL, a preset, a first visit
            values, ignored = schema.from_query(query, prefix)
            if validate is not None:
                try:
                    validate(values)
                except ValueError as error:
                    values, ignored = schema.defaults(), [*ignored, f"these settings together ({error})"]
            self._state[self._key(IGNORED_KEY)] = ignored
            self.apply(values)
        elif stored is not None:
            # Back from another page, Streamlit dropped this page's widget values (keeping stale ones our own code
            # once set): put all of them back. On a rerun of this page, give back only the hidden widgets' values:
            # the others may hold a choice just made.
            self._restore(stored, everything=self._state.get(self._key(RUN_KEY)) != script_runs() - 1)

    @property
    def ignored(self) -> list[str]:
        """The last link's settings that were not valid and were ignored, each as ``key=value (why)``."""
        return self._state.get(self._key(IGNORED_KEY), [])

    def forget_ignored(self) -> None:
        self._state[self._key(IGNORED_KEY)] = []

    def _key(self, name: str) -> str:
        return f"{self.prefix}.{name}"

    # -- values <-> widget state ---------------------------------------------------------------------------------

    def apply(self, values: Mapping) -> None:
        apply_settings(self.prefix, self.schema, values)

    def _restore(self, values: Mapping, everything: bool) -> None:
        """Give back the state of widgets that were not drawn last run (a hidden widget, a width switched per
        layer; with ``everything``, all of them)."""
        for setting in self.schema:
            for key, value in _widget_state(self._key(setting.name), setting, values[setting.name]).items():
                if everything:
                    self._state[key] = value
                else:
                    self._state.setdefault(key, value)

    def value(self, name: str):
        """A setting's current value: from its widget, or (when the widget is hidden) as last read."""
        setting = self.schema[name]
        stored = self._state.get(self._key(VALUES_KEY)) or self.schema.defaults()
        return _read(self._key(name), setting, stored[name])

    def values(self) -> dict:
        return {s.name: self.value(s.name) for s in self.schema}

    # -- drawing -------------------------------------------------------------------------------------------------

    def widget(self, container, name: str, *, disabled: bool = False):
        """Draw one setting's widget in ``container``; returns its value. A setting that does not apply given
        the others is hidden (``Widget.hide_unused``) or drawn greyed out."""
        setting = self.schema[name]
        used = self.schema.used(setting, self.values())
        if not used and setting.widget.hide_unused:
            return self.value(name)
        extra = self._state.get(self._key(EXTRA_KEY), {})
        _draw(container, self._key(name), setting, extra.get(name, set()), disabled=disabled or not used,
              extra_depth=extra.get(name + ".depth", set()))
        return self.value(name)

    def panels(self, container, panels: Mapping[str, str], expanded: bool = True) -> dict:
        """One expander per group, in order (``{"Data": "data", ...}``), holding its settings' widgets. Returns the
        expanders, so a page may add to one (the Arena's upload box goes under Data)."""
        boxes = {}
        for title, group in panels.items():
            boxes[group] = container.expander(title, expanded=expanded)
            for setting in self.schema.group(group):
                self.widget(boxes[group], setting.name)
        return boxes

    def panels_later(self, container, panels: Mapping[str, str], expanded: bool = True) -> None:
        """``panels``, drawn only by ``draw_panels`` or ``stop``. A page calls ``draw_panels`` once its first picture
        is out: a browser takes about half a second to lay out a sidebar of settings, and the picture need not wait
        for them (Streamlit sends elements in the order the script makes them)."""
        self._later = (container, panels, expanded)

    def draw_panels(self) -> dict:
        """Draw the panels ``panels_later`` holds back (once); returns them, as ``panels`` does."""
        later, self._later = self._later, None
        return {} if later is None else self.panels(*later)

    def stop(self) -> NoReturn:
        """End this script run (``st.stop``) with the settings drawn, so that the reader can change what stopped it."""
        self.draw_panels()
        st.stop()

    def finish(self) -> dict:
        """Every value (checked by the table), written to the URL where it differs from its default. Values the
        table refuses (e.g. no activation chosen) come back as they are, with ``problem`` saying why, and leave
        the link alone."""
        self.problem = None
        # This run draws the widgets (before or after this call), so the next run of this page is a rerun, whose
        # widgets keep what the reader chose: also after refused values, which the reader is about to mend.
        self._state[self._key(RUN_KEY)] = script_runs()
        try:
            values = self.schema.check(self.values())
        except ValueError as error:
            self.problem = str(error)
            return self.values()
        query = self.schema.to_query(values, self.prefix)
        if query != own_query(self.prefix):
            for key in own_query(self.prefix):
                if key not in query:
                    del st.query_params[key]
            for key, texts in query.items():
                st.query_params[key] = texts
        self._state[self._key(LINK_KEY)] = query
        self._state[self._key(VALUES_KEY)] = values
        return values


def apply_settings(prefix: str, schema: Schema, values: Mapping) -> None:
    """Set every widget of ``prefix``'s table to ``values`` (checked by the table), widening a widget's range to
    hold a valid value outside it. Call before the widgets are drawn: a button's ``on_click`` (a preset, a
    scenario, an opened config) runs early enough."""
    values = schema.check(values)
    state = st.session_state
    extra = state.setdefault(f"{prefix}.{EXTRA_KEY}", {})
    for setting in schema:
        value = values[setting.name]
        outside = [v for v in _items(setting, value) if not _fits(setting, v)]
        if outside:
            extra.setdefault(setting.name, set()).update(outside)
        if setting.widget.kind == "layers" and len(value) > setting.widget.high:
            extra.setdefault(setting.name + ".depth", set()).add(len(value))
        state.update(_widget_state(f"{prefix}.{setting.name}", setting, value))
    state[f"{prefix}.{VALUES_KEY}"] = values


# --- one setting's widget -----------------------------------------------------------------------------------------


def _items(setting: Setting, value) -> list:
    return list(value) if setting.kind in ("ints", "floats") and setting.widget.kind == "layers" else [value]


def _fits(setting: Setting, value) -> bool:
    """Whether the widget's convenient range or options hold ``value`` as they are."""
    widget = setting.widget
    if widget.kind == "slider":
        shown = widget.offset + widget.factor * value
        return widget.low <= shown <= widget.high
    if widget.kind in ("select_slider", "layers"):
        return value in widget.options
    if widget.kind == "range":
        return all(v in widget.options for v in value)
    return True


def _layer_keys(key: str, depth: int) -> tuple[str, str, str, list[str]]:
    return f"{key}.depth", f"{key}.width", f"{key}.per_layer", [f"{key}.unit{i}" for i in range(1, depth + 1)]


def _widget_state(key: str, setting: Setting, value) -> dict:
    """The session-state entries that make ``setting``'s widget show ``value``."""
    widget = setting.widget
    if widget.kind == "layers":
        depth_key, width_key, per_layer_key, unit_keys = _layer_keys(key, len(value))
        uniform = len(set(value)) == 1
        return {depth_key: len(value), width_key: value[0], per_layer_key: not uniform,
                **dict(zip(unit_keys, value, strict=True))}
    if widget.kind == "slider" and setting.kind in ("int", "float"):
        shown = widget.offset + widget.factor * value
        return {key: int(round(shown)) if setting.kind == "int" else float(shown)}
    if setting.kind in ("choices", "ints", "floats"):
        return {key: list(value) if widget.kind != "range" else tuple(value)}
    return {key: value}


def _read(key: str, setting: Setting, fallback):
    """The setting's value from its widget's state (``fallback`` when the widget is not in the state)."""
    widget = setting.widget
    state = st.session_state
    if widget.kind == "layers":
        depth_key, width_key, per_layer_key, _ = _layer_keys(key, 0)
        if depth_key not in state:
            return fallback
        depth = int(state[depth_key])
        if not state.get(per_layer_key):
            return (int(state.get(width_key, fallback[0])),) * depth
        unit_keys = _layer_keys(key, depth)[3]
        return tuple(int(state.get(k, state.get(width_key, fallback[0]))) for k in unit_keys)
    if key not in state:
        return fallback
    value = state[key]
    if widget.kind == "slider" and setting.kind in ("int", "float"):
        value = (value - widget.offset) / widget.factor
        value = int(round(value)) if setting.kind == "int" else round(float(value), 10)
    elif setting.kind in ("choices", "ints", "floats"):
        value = tuple(value)
    elif setting.kind == "int":
        value = int(value)
    elif setting.kind == "float":
        value = float(value)
    return value


def _options(setting: Setting, extra: set) -> list:
    return sorted({*setting.widget.options, *extra})


def _draw(container, key: str, setting: Setting, extra: set, disabled: bool, extra_depth: set = frozenset()) -> None:
    """Draw ``setting``'s widget under ``key`` (its state already set); ``extra`` values widen its range."""
    widget = setting.widget
    label = widget.label or setting.label
    common = {"key": key, "help": widget.help or setting.help or None, "disabled": disabled}
    if widget.kind == "select":
        container.selectbox(label, list(setting.choices), format_func=setting.label_of, **common)
    elif widget.kind == "multiselect":
        composed = [v for v in st.session_state.get(key, ()) if v not in setting.choices]  # e.g. "tanh>relu"
        container.multiselect(label, [*setting.choices, *composed], format_func=setting.label_of, **common)
        if setting.compose is not None and widget.add_label:
            _draw_composer(container, key, setting, disabled)
    elif widget.kind == "select_slider":
        container.select_slider(label, _options(setting, extra), format_func=setting.label_of, **common)
    elif widget.kind == "range":
        # A select slider is a range slider only when it is given a pair as its value: hand it the state's pair
        # that way (taken out of the state first, or Streamlit warns that both set it).
        pair = tuple(st.session_state.pop(key))
        container.select_slider(label, _options(setting, extra), value=pair, format_func=setting.label_of, **common)
    elif widget.kind == "slider":
        shown = [widget.offset + widget.factor * v for v in extra]
        low, high = min([widget.low, *shown]), max([widget.high, *shown])
        kind = int if setting.kind == "int" else float  # the same type as _widget_state gives the state
        container.slider(label, kind(low), kind(high), step=kind(widget.step), format=widget.format, **common)
    elif widget.kind == "number":
        kind = int if setting.kind == "int" else float
        container.number_input(label, kind(widget.low), kind(widget.high), step=kind(widget.step), **common)
    elif widget.kind == "toggle":
        container.toggle(label, **common)
    elif widget.kind == "layers":
        _draw_layers(container, key, setting, extra, disabled, extra_depth)
    else:
        raise ValueError(f"Unknown widget kind {widget.kind!r} for setting {setting.name}.")


def _draw_composer(container, key: str, setting: Setting, disabled: bool) -> None:
    """The text box under a composing multiselect (``Setting.compose``): what is typed there and entered becomes one
    item of the multiselect (a per-layer network, "tanh, relu" -> Tanh → ReLU), replacing the composed item it held;
    text that is not valid stays in the box with the reason under it."""
    text_key, problem_key = f"{key}.add", f"{key}.add_problem"

    def add():
        text = st.session_state.get(text_key, "").strip()
        st.session_state[problem_key] = None
        if not text:
            return
        try:
            item = setting.check([text])[0]
        except ValueError as error:
            st.session_state[problem_key] = str(error)
            return
        chosen = [v for v in st.session_state.get(key, ()) if v in setting.choices]
        st.session_state[key] = [*chosen, item] if item not in chosen else chosen
        st.session_state[text_key] = ""

    container.text_input(setting.widget.add_label, key=text_key, on_change=add, disabled=disabled,
                         max_chars=MAX_COMPOSED_TEXT, placeholder="e.g. tanh, relu", help=setting.widget.add_help)
    if st.session_state.get(problem_key):
        container.warning(st.session_state[problem_key], icon=":material/error:")


def _draw_layers(container, key: str, setting: Setting, extra: set, disabled: bool, extra_depth: set) -> None:
    """Depth, then one width for every layer, or (switched on) a width per layer."""
    widget = setting.widget
    depth_key, width_key, per_layer_key, _ = _layer_keys(key, 0)
    state = st.session_state
    depth_high = max([int(widget.high), *extra_depth])
    depth = container.slider("Hidden layers", int(widget.low), depth_high, key=depth_key, disabled=disabled,
                             help="How many hidden layers, each followed by the activation.")
    options = _options(setting, extra)
    per_layer = container.toggle("A width per layer", key=per_layer_key, disabled=disabled,
                                 help="Give each hidden layer its own number of units (input side first).")
    if not per_layer:
        container.select_slider("Units per layer", options, key=width_key, disabled=disabled)
        return
    for i, unit_key in enumerate(_layer_keys(key, depth)[3], start=1):
        state.setdefault(unit_key, state.get(width_key, options[0]))
        container.select_slider(f"Layer {i} units", options, key=unit_key, disabled=disabled)
