"""The session's typed events and the one dispatch that the window's worker and the command line share."""
import io

from studio.core import events as ev
from studio.core.events import Event, EventHandler


def all_event_types() -> list[type[Event]]:
    return [t for t in vars(ev).values() if isinstance(t, type) and issubclass(t, Event) and t is not Event]


def test_every_event_has_its_own_handler_method():
    kinds = [t.kind for t in all_event_types()]
    assert len(kinds) == len(set(kinds)) == 13
    assert all(callable(getattr(EventHandler, kind, None)) for kind in kinds), kinds


def test_dispatch_reaches_the_method_of_the_event_and_ignores_the_rest():
    got = []

    class Messages(EventHandler):
        def message(self, event):
            got.append(event.text)

    handler = Messages()
    handler(ev.Message("hello"))
    handler(ev.Progress(step=1, total=2, steps_per_s=3.0, eta_s=None))
    handler(ev.Finished(status="finished", step=2))
    assert got == ["hello"]
    assert ev.Finished(status="stopped", step=7).payload() == {"status": "stopped", "step": 7}


def test_the_command_line_prints_training_as_lines_and_one_progress_line():
    from studio.cli import TerminalProgress, TerminalReport

    out = io.StringIO()
    report = TerminalReport(TerminalProgress(out, interval_s=0.0))
    report(ev.Started(run="/runs/a", device="CPU", step=0, total=10, preset="tiny"))
    report(ev.Logged(records=[{"step": 1, "phase": "gan", "d_loss": 1.25, "g_loss": 0.5}]))
    report(ev.Progress(step=1, total=10, steps_per_s=2.0, eta_s=4.5))
    report(ev.Metrics(step=1, values={"swd": 0.125}))
    report(ev.Failed(text="out of memory", step=1))
    lines = out.getvalue().splitlines()
    assert lines[0] == "run /runs/a | tiny on CPU | step 0 of 10"
    assert lines[1].startswith("step 1/10 2.0 it/s eta 0:00:04") and "d_loss 1.250" in lines[1]
    assert lines[2:] == ["step 1: swd 0.125", "error: out of memory"]
