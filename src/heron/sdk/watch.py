"""``heron.watch(model)``: histograms of a torch model's gradients and parameters.

Hooks on the model, no polling: each parameter's gradient hook counts backward
passes and every ``freq``-th one bins the gradient where it lives (``torch.histc``,
so only the bins leave the GPU) into ``gradients/<parameter>``; a forward hook on
the model does the same for the weights into ``parameters/<parameter>``. The items
are logged at the run's current step (``Run.step``) through ``Run.log_media``,
which never moves that step. NaN or inf values are left out of a histogram and
counted in its meta (``nonfinite``) rather than refused: a diverging model is what
one watches for. torch is never imported here; the model brings it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from heron.errors import InvalidInput
from heron.media import limits
from heron.media.types import Histogram
from heron.sdk.run import Run

What = Literal["gradients", "parameters", "all"]


class Watch:
    """The hooks of one ``heron.watch`` call; :meth:`remove` takes them off."""

    def __init__(self, run: Run, model: Any, log: What, freq: int, bins: int) -> None:
        self._run = run
        self._freq = freq
        self._bins = bins
        self._handles: list[Any] = []
        self._forwards = 0
        self._backwards: dict[str, int] = {}
        self.params = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
        if log in ("gradients", "all"):
            for name, param in self.params:
                self._handles.append(param.register_hook(self._on_grad(name)))
        if log in ("parameters", "all"):
            self._handles.append(model.register_forward_hook(self._on_forward))

    def _on_grad(self, name: str) -> Callable[[Any], None]:
        def hook(grad: Any) -> None:
            count = self._backwards.get(name, 0) + 1
            self._backwards[name] = count
            if count % self._freq == 1 or self._freq == 1:
                self._log(f"gradients/{name}", grad)

        return hook

    def _on_forward(self, module: Any, inputs: Any, output: Any) -> None:
        self._forwards += 1
        if self._forwards % self._freq == 1 or self._freq == 1:
            for name, param in self.params:
                self._log(f"parameters/{name}", param)

    def _log(self, key: str, tensor: Any) -> None:
        if self._run.state != "running":
            return
        flat = tensor.detach().reshape(-1)
        finite = flat.isfinite()
        nonfinite = int(flat.numel() - finite.sum().item())
        if nonfinite:
            flat = flat[finite]
        if flat.numel() == 0:
            return
        histogram = Histogram(flat, self._bins)
        histogram.nonfinite = nonfinite
        self._run.log_media({key: histogram}, self._run.step)

    def remove(self) -> None:
        """Take the hooks off the model."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()


def watch(
    run: Run,
    model: Any,
    log: What = "gradients",
    freq: int = 100,
    bins: int = limits.DEFAULT_BINS,
) -> Watch:
    """Log histograms of ``model``'s gradients, parameters or both every ``freq``
    backward (forward) passes; returns the hooks (``.remove()`` them to stop)."""
    if log not in ("gradients", "parameters", "all"):
        raise InvalidInput(f'log must be "gradients", "parameters" or "all", got {log!r}')
    if isinstance(freq, bool) or not isinstance(freq, int) or freq < 1:
        raise InvalidInput(f"freq must be a positive int, got {freq!r}")
    if not hasattr(model, "named_parameters") or not hasattr(model, "register_forward_hook"):
        raise InvalidInput(f"heron.watch takes a torch.nn.Module, got {type(model).__name__}")
    return Watch(run, model, log, freq, bins)
