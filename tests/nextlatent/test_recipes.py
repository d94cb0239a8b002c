"""The shipped ``codecprobe nextlatent`` recipes (recipes/structure/nextlatent*.yaml) load as valid configs."""
import pytest

from codecprobe.config import load_config
from codecprobe.encoders.registry import build_settings
from codecprobe.nextlatent.config import NextLatentConfig
from tests.conftest import REPO_ROOT

RECIPES = sorted((REPO_ROOT / "recipes" / "structure").glob("nextlatent*.yaml"))


def test_the_recipes_are_found():
    assert {p.name for p in RECIPES} >= {"nextlatent.yaml", "nextlatent-control.yaml", "nextlatent-encoders.yaml"}


@pytest.mark.parametrize("recipe", RECIPES, ids=[p.name for p in RECIPES])
def test_recipe_loads_with_known_encoders_and_shipped_corpora(recipe):
    config = load_config(NextLatentConfig, recipe)
    for spec in config.encoders:
        build_settings(spec.encoder, spec.settings)  # a known encoder with valid settings, no weights loaded
    assert config.corpora and all(c.startswith("../shared/data/") for c in config.corpora)


def test_the_encoders_recipe_sets_trained_lyra_against_untrained_mimi_and_encodec():
    """Exp 3 offline: Lyra with its permuted control; Mimi and EnCodec, whose weights are on the hub, random-init."""
    config = load_config(NextLatentConfig, REPO_ROOT / "recipes" / "structure" / "nextlatent-encoders.yaml")
    assert [(s.encoder, s.taps, s.weights, s.random_init) for s in config.encoders] == [
        ("lyra", ["latent"], None, False), ("mimi", ["prequant"], None, True), ("encodec", ["prequant"], None, True)]
    assert config.control and config.store == "runs/store"


def test_the_recipes_corpora_resolve_from_the_repository_root(shared_data):
    """The recipes run from the repository root (recipes/structure/run.sh), where ../shared/data is shared_data."""
    for recipe in RECIPES:
        for corpus in load_config(NextLatentConfig, recipe).corpora:
            assert (REPO_ROOT / corpus).is_dir(), f"{recipe.name}: {corpus}"
