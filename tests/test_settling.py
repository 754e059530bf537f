"""When the daemon reads a file it heard about: settling, with a clock the tests step.

Real files on a real folder; only time is stepped, so these take no seconds of waiting.
"""

from __future__ import annotations

import os

from aiprov.settling import Settler


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_file_is_read_only_after_it_held_still_for_the_window(tmp_path):
    clock, f = Clock(), tmp_path / "render.exr"
    s = Settler(2.0, clock)
    f.write_bytes(b"x" * 10)
    s.note(os.fsencode(f), created=True)
    clock.now += 1.0
    assert s.ready(False, 100) == []
    f.write_bytes(b"x" * 20)  # the render goes on
    os.utime(f, ns=(1, 1))
    clock.now += 1.5
    assert s.ready(False, 100) == []  # changed since its event: another window
    clock.now += 2.0
    assert s.ready(False, 100) == [os.fsencode(f)]


def test_a_file_held_open_by_its_writer_waits_for_the_close_or_the_idle_limit(tmp_path):
    clock, f = Clock(), os.fsencode(tmp_path / "mix.wav")
    s = Settler(0.5, clock, max_open_idle_s=60)
    open(f, "wb").close()
    s.note(f, created=True)  # empty at "created": a writer is at work
    clock.now += 10
    assert s.ready(False, 100) == []
    clock.now += 55
    assert s.ready(False, 100) == [f]  # a writer that died: read anyway after the idle limit
    s.note(f, writing=True)
    clock.now += 1
    assert s.ready(False, 100) == []
    s.note(f, closed=True)
    clock.now += 1
    assert s.ready(False, 100) == [f]


def test_a_stop_leaves_files_still_being_written_for_the_next_start(tmp_path):
    clock, done, busy = Clock(), os.fsencode(tmp_path / "a.png"), os.fsencode(tmp_path / "b.png")
    s = Settler(2.0, clock)
    for p in (done, busy):
        open(p, "wb").write(b"data")
    s.note(done)
    s.note(busy, writing=True)
    assert s.ready(True, 100) == [done]


def test_pipes_sockets_and_devices_are_ready_at_once(tmp_path):
    clock, fifo = Clock(), os.fsencode(tmp_path / "shot.mov")
    os.mkfifo(fifo)
    s = Settler(2.0, clock)
    s.note(fifo, created=True)
    assert s.ready(False, 100) == [fifo]
    dev = b"/dev/null"
    s.note(dev, created=True)
    assert dev in s.ready(False, 100)


def test_a_deletion_waits_one_window_unless_a_batch_may_hold_its_other_half(tmp_path):
    clock, old, new = Clock(), os.fsencode(tmp_path / "a.jpg"), os.fsencode(tmp_path / "b.jpg")
    s = Settler(2.0, clock)
    s.gone(old)
    assert not s.any_deletions_due() and s.due_deletions(False) == []
    clock.now += 2.5
    assert s.any_deletions_due()
    open(new, "wb").write(b"jpeg")
    s.note(new)  # the other half of a rename arrives: deletions wait for it
    assert not s.any_deletions_due()
    assert s.due_deletions(True) == [old] and s.due_deletions(True) == []


def test_a_broken_link_is_read_not_taken_for_a_deletion(tmp_path):
    clock, link = Clock(), os.fsencode(tmp_path / "plate.exr")
    os.symlink(tmp_path / "missing.exr", link)
    s = Settler(0.5, clock)
    s.note(link, created=True)
    clock.now += 1
    assert s.ready(False, 100) == [link] and s.deleted == {}
