"""The static form of an interactive figure: HTML and a little JavaScript that swaps frames.

See Also
--------
:mod:`mlcourse.widgets`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    pass

from .controls import Control, Dropdown
from .frames import Frames

__all__ = ['static_html']


_SCRIPT = """(function () {
  var root = document.currentScript ? document.currentScript.parentElement
                                    : document.getElementById(%(id)s);
  var shape = %(shape)s, labels = %(labels)s;
  var inputs = root.querySelectorAll("[data-mlc-control]");
  var frames = root.querySelectorAll("img[data-mlc-frame]");
  function update() {
    var k = 0;
    for (var i = 0; i < inputs.length; i++) {
      var p = parseInt(inputs[i].value, 10);
      k = k * shape[i] + p;
      var out = root.querySelector("[data-mlc-output='" + i + "']");
      if (out) { out.textContent = labels[i][p]; }
    }
    for (var j = 0; j < frames.length; j++) {
      frames[j].style.display = (j === k) ? "" : "none";
    }
    root.setAttribute("data-mlc-current", k);
  }
  for (var i = 0; i < inputs.length; i++) {
    inputs[i].addEventListener("input", update);
    inputs[i].addEventListener("change", update);
  }
  update();
})();"""


def static_html(frames: Frames, descriptions: dict[str, str] | None = None,
                controls: dict[str, Control] | None = None) -> str:
    """Return the self-contained HTML scrubber for precomputed frames.

    The page gets one ``<input type="range">`` per slider and one ``<select>``
    per drop-down (over positions in the subsampled grid, with the value shown
    beside it), one ``<img>`` per frame (PNG data URIs, all but the current one
    hidden) and a short inline script that shows the frame of the current
    combination. No network access, no require.js, no kernel.

    Parameters
    ----------
    frames : Frames
        From :func:`compute_frames`.
    descriptions : dict of str to str, optional
        Label per control name; the name itself when missing.
    controls : dict of str to Control, optional
        The controls, to tell drop-downs (shown as ``<select>``) from sliders.

    Returns
    -------
    str
        An HTML fragment (a ``<div class="mlcourse-interactive">``).
    """
    descriptions = descriptions or {}
    digest = hashlib.sha1()
    for im in frames.images:
        digest.update(im)
    digest.update(json.dumps(frames.labels, sort_keys=True).encode())
    uid = "mlc-" + digest.hexdigest()[:12]
    parts = [f'<div class="mlcourse-interactive" id="{uid}" data-mlc-frames="{len(frames.images)}" '
             'style="font-family:sans-serif;font-size:0.9em;margin:0.5em 0">',
             '<div class="mlc-controls" style="display:flex;flex-wrap:wrap;gap:0.4em 1.5em;'
             'align-items:center;margin-bottom:0.3em">']
    for i, name in enumerate(frames.names):
        label = html.escape(descriptions.get(name) or name)
        n = len(frames.indices[name])
        pos = frames.default[i]
        is_select = controls is not None and isinstance(controls.get(name), Dropdown)
        if is_select:
            options = "".join(
                f'<option value="{j}"{" selected" if j == pos else ""}>{html.escape(text)}</option>'
                for j, text in enumerate(frames.labels[name])
            )
            widget = (f'<select data-mlc-control="{html.escape(name)}" aria-label="{label}">'
                      f"{options}</select>")
            parts.append(f"<label>{label} {widget}</label>")
        else:
            widget = (f'<input type="range" min="0" max="{n - 1}" step="1" value="{pos}" '
                      f'data-mlc-control="{html.escape(name)}" aria-label="{label}" '
                      'style="vertical-align:middle;width:10em">')
            output = (f'<output data-mlc-output="{i}" style="display:inline-block;min-width:3.5em">'
                      f"{html.escape(frames.labels[name][pos])}</output>")
            parts.append(f"<label>{label} {widget} {output}</label>")
    parts.append("</div>")
    current = frames.index(frames.default)
    parts.append('<div class="mlc-frames">')
    for k, png in enumerate(frames.images):
        combo = ", ".join(f"{n} = {frames.labels[n][int(p)]}"
                          for n, p in zip(frames.names, np.unravel_index(k, frames.shape)))
        hidden = "" if k == current else "display:none;"
        data = base64.b64encode(png).decode("ascii")
        parts.append(f'<img data-mlc-frame="{k}" alt="figure for {html.escape(combo)}" '
                     f'style="{hidden}max-width:100%;height:auto" src="data:image/png;base64,{data}">')
    parts.append("</div>")
    script = _SCRIPT % {"id": json.dumps(uid), "shape": json.dumps(list(frames.shape)),
                        "labels": json.dumps([frames.labels[n] for n in frames.names])}
    parts.append(f"<script>{script}</script>")
    parts.append("</div>")
    return "\n".join(parts)
