"""The README's worked example of adding a container is the real file the
build registers, word for word, so the walkthrough can never go stale."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_readme_adapter_example_is_the_registered_header():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```cpp\n(.*?)```", readme, flags=re.S)
    assert blocks, "README.md has no C++ example"
    header = ROOT / "impls" / "peers" / "tsl_hopscotch_map.h"
    assert blocks[0] == header.read_text()
    assert "DSTUDY_REGISTER(tsl_hopscotch_map," in blocks[0]
