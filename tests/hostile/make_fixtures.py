#!/usr/bin/python3
"""Writes the hostile files that tests/test_hostile.c loads.

Each is an example of a class of bad input (too many dims, sizes that
overflow, counts that would size an allocation, values where an integer is
expected, CSV features that are not finite decimals, a gzip stream cut
short). The checkpoints derive from base_checkpoint.safetensors: a
tg_checkpoint_save of Sequential(Linear(2, 2), BatchNorm1d(2)) with Adam
after one step, the model test_hostile.c builds. Run from this directory:
    /usr/bin/python3 make_fixtures.py
"""
import gzip
import json
import struct

FORMATS = {"F32": "<f", "F64": "<d", "I64": "<q"}


def read_st(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors = {name: (e["dtype"], e["shape"], data[e["data_offsets"][0]:e["data_offsets"][1]])
               for name, e in header.items()}
    return meta, tensors


def write_st(path, meta, tensors):
    header, blobs, at = {"__metadata__": meta}, [], 0
    for name, (dtype, shape, blob) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [at, at + len(blob)]}
        blobs.append(blob)
        at += len(blob)
    text = json.dumps(header).encode()
    open(path, "wb").write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def scalar(dtype, value):
    return (dtype, [], struct.pack(FORMATS[dtype], value))


def variant(name, edit):
    meta, tensors = read_st("base_checkpoint.safetensors")
    edit(meta, tensors)
    write_st(name, meta, tensors)


def set_item(key, value):
    return lambda meta, t: t.__setitem__(key, value)


variant("ckpt_dims9.safetensors", set_item("extra.deep", ("F32", [1] * 9, b"\0" * 4)))
variant("ckpt_dims64.safetensors", set_item("extra.deep", ("F32", [1] * 64, b"\0" * 4)))
variant("ckpt_zero_huge.safetensors",
        set_item("extra.empty", ("F32", [0, 1 << 40, 1 << 40], b"")))
variant("ckpt_opt_id_huge.safetensors",
        set_item("optimizer.param_groups.0.params",
                 ("I64", [4], struct.pack("<4q", 0, 1, 2, 1000000000))))
variant("ckpt_step_nan.safetensors", set_item("optimizer.state.0.step",
                                              scalar("F64", float("nan"))))
variant("ckpt_step_negative.safetensors", set_item("optimizer.state.0.step",
                                                   scalar("F64", -3.0)))
variant("ckpt_exp_avg_sq_nan.safetensors",
        set_item("optimizer.state.1.exp_avg_sq",
                 ("F32", [2], struct.pack("<2f", 1.0, float("nan")))))
variant("ckpt_nbt_nan.safetensors", set_item("model.1.num_batches_tracked",
                                             scalar("F64", float("nan"))))
variant("ckpt_nbt_huge.safetensors", set_item("model.1.num_batches_tracked",
                                              scalar("F64", 1e300)))
variant("ckpt_epoch_overflow.safetensors",
        lambda meta, t: meta.__setitem__("epoch", "99999999999999999999999"))

open("bom.csv", "wb").write(b"\xef\xbb\xbfwidth,height,label\n1.5,2,0\n3,4.25,1\n")
open("nan_feature.csv", "w").write("a,b,label\n1,2,0\n3,nan,1\n")
open("inf_feature.csv", "w").write("a,b,label\n1,2,0\n-inf,4,1\n")
open("hex_feature.csv", "w").write("a,b,label\n1,0x1p3,0\n")
rows = "".join(f"{i},{i * 0.5},{i % 3}\n" for i in range(2000))
whole = gzip.compress(("a,b,label\n" + rows).encode(), mtime=0)
open("truncated.csv.gz", "wb").write(whole[:len(whole) // 2])
