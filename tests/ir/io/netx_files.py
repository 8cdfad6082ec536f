"""Writing small lava-dl netx HDF5 files for tests, in the layout slayer's exporter uses."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import h5py


def write_netx(target: str | Path | io.BytesIO, layers: list[dict[str, Any]]) -> None:
    """``layers[i]`` -> group ``layer/<i>``: ``type`` as a 1-element S10 array, ``neuron`` as a subgroup."""
    with h5py.File(target, "w") as f:
        for i, layer in enumerate(layers):
            group = f.create_group(f"layer/{i}")
            for key, value in layer.items():
                if key == "neuron":
                    for k, v in value.items():
                        group.create_dataset(f"neuron/{k}", data=v)
                elif key == "type":
                    group.create_dataset("type", (1,), "S10", [value.encode()])
                else:
                    group.create_dataset(key, data=value)
        f.create_dataset("simulation/Ts", data=1)
