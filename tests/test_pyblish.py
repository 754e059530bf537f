"""The pyblish validator in hooks/pyblish, run by a real pyblish.util.publish() on real files."""

from __future__ import annotations

import shlex

import pyblish.api
import pyblish.util
import pytest

from .conftest import REPO
from .helpers import AI_STILL, CAMERA_STILL, aiprov, copy

PLUGIN_DIR = REPO / "hooks" / "pyblish"


@pytest.fixture
def publish(tmp_path, ledger_target):
    """publish(files=..., family=..., context_data=..., instance_data=...) -> (errors, context).
    Runs on both ledgers (the `backend` parameter)."""
    ledger = ledger_target
    pyblish.api.deregister_all_plugins()
    pyblish.api.deregister_all_paths()
    pyblish.api.register_plugin_path(str(PLUGIN_DIR))

    def run(files=None, family="image", families=(), context_data=None, instance_data=None):
        class CollectPoster(pyblish.api.ContextPlugin):
            order = pyblish.api.CollectorOrder

            def process(self, context):
                context.data["aiprov_ledger"] = str(ledger)
                context.data.update(context_data or {})
                instance = context.create_instance("posterMain", family=family, families=list(families))
                if files is not None:
                    instance.data["files"] = [str(f) for f in files]
                instance.data.update(instance_data or {})

        pyblish.api.register_plugin(CollectPoster)
        try:
            context = pyblish.util.publish()
        finally:
            pyblish.api.deregister_plugin(CollectPoster)
        ran = [r["plugin"].__name__ for r in context.data["results"]]
        assert "ValidateNoTempAI" in ran, ran
        return [str(r["error"]) for r in context.data["results"] if r["error"]], context

    run.ledger = ledger
    yield run
    pyblish.api.deregister_all_plugins()
    pyblish.api.deregister_all_paths()


def test_unapproved_ai_still_fails_the_publish_with_a_message_an_artist_can_act_on(tmp_path, publish):
    poster = copy(AI_STILL, tmp_path / "publish" / "poster_v001.jpg")
    errors, _ = publish([poster])
    assert len(errors) == 1
    message = errors[0]
    assert "Publishing 'posterMain' to finals is blocked" in message
    assert "poster_v001.jpg is AI-generated (Midjourney) and has no written approval for final use" in message
    assert f"file: {poster}" in message
    assert "Replace it with non-AI material, or have the written approval recorded" in message
    # the command it prints is the exact one: run it as printed, and the same publish passes
    command = next(line.strip() for line in message.splitlines() if line.strip().startswith("aiprov approve "))
    argv = shlex.split(command)
    assert argv[:3] == ["aiprov", "approve", str(poster)] and argv[argv.index("--ledger") + 1] == str(publish.ledger)
    approved = aiprov(*argv[1:])
    assert approved.returncode == 0, approved.stderr
    errors, _ = publish([poster])
    assert errors == []


def test_approved_ai_still_passes_and_a_renamed_copy_stays_approved(tmp_path, publish):
    poster = copy(AI_STILL, tmp_path / "publish" / "poster_v002.jpg")
    r = aiprov("approve", poster, "--by", "Dana Whitfield, VFX supervisor", "--reason", "approved by the studio",
               "--reference", "NH-GENAI-0042", "--ledger", publish.ledger)
    assert r.returncode == 0, r.stderr
    renamed = copy(AI_STILL, tmp_path / "publish" / "poster_final.jpg")
    errors, _ = publish([poster, renamed])
    assert errors == []


def test_camera_still_passes(tmp_path, publish):
    still = copy(CAMERA_STILL, tmp_path / "publish" / "plate_v001.jpg")
    errors, _ = publish([still])
    assert errors == []


def test_representations_are_checked_by_staging_dir_and_file_names(tmp_path, publish):
    staging = tmp_path / "staging"
    copy(CAMERA_STILL, staging / "plate.0001.jpg")
    copy(AI_STILL, staging / "plate.0002.jpg")
    errors, _ = publish(instance_data={"representations": [
        {"name": "jpg", "ext": "jpg", "files": ["plate.0001.jpg", "plate.0002.jpg"], "stagingDir": str(staging)}]})
    assert len(errors) == 1
    assert "plate.0002.jpg is AI-generated" in errors[0] and "plate.0001.jpg" not in errors[0]


def test_publish_that_is_not_finals_bound_may_carry_temp_ai(tmp_path, publish):
    poster = copy(AI_STILL, tmp_path / "publish" / "poster_temp.jpg")
    errors, _ = publish([poster], context_data={"aiprov_finals": False})
    assert errors == []
    # families decide when the context names the finals-bound ones
    errors, _ = publish([poster], family="review", context_data={"aiprov_finals_families": ["delivery"]})
    assert errors == []
    errors, _ = publish([poster], family="review", families=["delivery"],
                        context_data={"aiprov_finals_families": ["delivery"]})
    assert len(errors) == 1 and "poster_temp.jpg is AI-generated" in errors[0]
    # an instance can say so itself, whatever the context says
    errors, _ = publish([poster], context_data={"aiprov_finals": False}, instance_data={"aiprov_finals": True})
    assert len(errors) == 1


def test_file_registered_as_ai_output_is_blocked_though_it_carries_no_marker(tmp_path, publish):
    still = copy(CAMERA_STILL, tmp_path / "publish" / "matte_v003.jpg")
    r = aiprov("register", still, "--tool", "ComfyUI", "--ledger", publish.ledger)
    assert r.returncode == 0, r.stderr
    errors, _ = publish([still])
    assert len(errors) == 1 and "matte_v003.jpg is AI-generated (ComfyUI)" in errors[0]
