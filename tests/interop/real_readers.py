"""The files tensorgrad writes, read by the real tools.

Usage: VENV/bin/python real_readers.py BUILD_DIR

Needs the `tensorboard` and `safetensors` packages (tests/interop/
run_real_readers.sh installs them into a virtual environment beside
Debian's python3-torch).

1. tests/interop/interop_tensorboard writes a run with every record kind
   (scalars, add_scalars, histograms, an image, a PR curve, text, hparams,
   a module's graph, a figure); TensorBoard's EventAccumulator (and the
   plugin accumulator the TensorBoard server uses for hparams, text and PR
   curves) must read back exactly the values recomputed here.
2. Every example that writes files runs for a few epochs; every event file
   it writes must be read by TensorBoard's loader to its last record and by
   the EventAccumulator with one value per step (and every PR curve and
   image in it, add_figure's included, decoded by PIL at its
   logged size), every safetensors file by safetensors.torch.load_file and
   safe_open, agreeing in names, dtypes, shapes, values and metadata with an
   independent parse of the format, every PNG figure by PIL and every SVG
   figure by xml.etree (svg_check.py). moons' checkpoint holds the loss
   histories it logged to TensorBoard: both readers must give the same
   numbers.
3. docs/checkpoints.md's Python, run as written: a checkpoint C trained
   for 5 steps continues in PyTorch like C's own continuation, and one
   PyTorch writes continues in C like PyTorch.
4. The same checks on corrupted copies must fail: a flipped byte inside an
   event record, a checkpoint with a flipped data byte, one with a broken
   header, a figure with a flipped byte, a truncated SVG.
Prints "N passed, N failed" and exits non-zero on any failure.
"""
import glob
import io
import json
import math
import os
import shutil
import subprocess
import struct
import sys
import tempfile

import numpy as np
import torch
from PIL import Image
from safetensors import safe_open
from safetensors.torch import load_file
from tensorboard.backend.event_processing import event_accumulator as ea_module
from tensorboard.backend.event_processing import event_file_loader
from tensorboard.backend.event_processing import plugin_event_accumulator as pea_module
from tensorboard.plugins.hparams import plugin_data_pb2
from tensorboard.util import tensor_util

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_safetensors import load as independent_load  # noqa: E402
from svg_check import check_svg  # noqa: E402

EXAMPLES = [  # (name, args, epochs logged per scalar tag)
    ("moons", ["--epochs", "3"], 3),
    ("iris", ["--epochs", "3"], 3),
    ("logistic_regression", ["--epochs", "4"], 4),
    ("digits", ["--epochs", "2"], 2),
    ("optimizers", ["--epochs", "2"], None),
    ("makemore", ["--steps", "4"], None),
    ("fashion_mnist", ["--epochs", "1", "--subset", "1000"], 1),
]
FASHION_MNIST = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"


class Failures(list):
    def check(self, ok, what):
        if not ok:
            self.append(what)


def accumulator(run_dir):
    ea = ea_module.EventAccumulator(run_dir, size_guidance={"scalars": 0, "histograms": 0,
                                                             "images": 0, "tensors": 0})
    ea.Reload()
    return ea


def plugin_accumulator(run_dir):
    ea = pea_module.EventAccumulator(run_dir, size_guidance={"tensors": 0})
    ea.Reload()
    return ea


def plugin_content(pea, plugin):
    """{tag: content} of a plugin's records; {} when the run has none."""
    try:
        return pea.PluginTagToContent(plugin)
    except KeyError:
        return {}


def scalars(ea, tag):
    return [(e.step, e.value) for e in ea.Scalars(tag)] if tag in ea.Tags()["scalars"] else []


def f32(x):
    return float(np.float32(x))


# ---- 1. every record kind --------------------------------------------------------

def check_scalars(f, run):
    ea = accumulator(run)
    f.check(scalars(ea, "scalar/sine") == [(s, f32(math.sin(0.5 * s))) for s in range(10)],
            "scalar/sine: steps and values")
    for name, sign in (("a", 1), ("b", -1)):
        got = scalars(accumulator(os.path.join(run, "pair_" + name)), "pair")
        f.check(got == [(s, float(sign * s)) for s in range(5)], f"add_scalars pair_{name}")


def check_histograms(f, ea):
    hists = ea.Histograms("hist/ramp") if "hist/ramp" in ea.Tags()["histograms"] else []
    f.check([h.step for h in hists] == [0, 1], "hist/ramp: steps 0 and 1")
    for h in hists:
        values = np.array([(h.step + 1) * (i * 0.01 - 0.5) for i in range(100)])
        v = h.histogram_value
        f.check(v.num == 100 and v.min == values.min() and v.max == values.max(),
                f"hist/ramp step {h.step}: num, min, max")
        f.check(math.isclose(v.sum, values.sum(), abs_tol=1e-12) and
                math.isclose(v.sum_squares, (values ** 2).sum(), rel_tol=1e-12),
                f"hist/ramp step {h.step}: sum, sum of squares")
        limits = np.array(v.bucket_limit)
        counts = np.array(v.bucket)
        expected = [np.sum((values > lo) & (values <= hi))
                    for lo, hi in zip(np.concatenate([[-np.inf], limits[:-1]]), limits)]
        f.check(counts.sum() == 100 and list(counts) == expected,
                f"hist/ramp step {h.step}: bucket counts match bucket limits")


def check_image(f, ea):
    images = ea.Images("image/ramp") if "image/ramp" in ea.Tags()["images"] else []
    f.check(len(images) == 1 and images[0].step == 3, "image/ramp at step 3")
    for im in images:
        pixels = np.array(Image.open(io.BytesIO(im.encoded_image_string)))
        expected = np.array([[[c * 80 + y * 10 + x for c in range(3)] for x in range(12)]
                             for y in range(8)], dtype=np.uint8)
        f.check(im.width == 12 and im.height == 8 and np.array_equal(pixels, expected),
                "image/ramp: 12x8 RGB pixels")


def pr_curve_reference(labels, predictions, num_thresholds):
    """TensorBoard's PR curve data as torch.utils.tensorboard's compute_curve
    makes it (float32 predictions, np.histogram's buckets)."""
    buckets = np.int32(np.floor(predictions * (num_thresholds - 1)))
    counts = [np.histogram(buckets, bins=num_thresholds, range=(0, num_thresholds - 1),
                           weights=w)[0] for w in (labels, 1.0 - labels)]
    tp, fp = (np.cumsum(c[::-1])[::-1] for c in counts)
    tn, fn = fp[0] - fp, tp[0] - tp
    precision = tp / np.maximum(1e-7, tp + fp)
    recall = tp / np.maximum(1e-7, tp + fn)
    return np.stack([tp, fp, tn, fn, precision, recall]).astype(np.float32)


def check_plugin_records(f, run):
    pea = plugin_accumulator(run)
    labels = np.array([i % 2 for i in range(50)], dtype=np.float64)
    predictions = np.array([(i * 37 % 100) / 100.0 for i in range(50)], dtype=np.float32)
    pr = pea.Tensors("pr/val") if "pr/val" in plugin_content(pea, "pr_curves") else []
    f.check(len(pr) == 1 and pr[0].step == 7, "pr/val: one curve at step 7")
    for e in pr:
        got = tensor_util.make_ndarray(e.tensor_proto)
        f.check(got.shape == (6, 11) and
                np.allclose(got, pr_curve_reference(labels, predictions, 11), rtol=1e-6),
                "pr/val: TP, FP, TN, FN, precision, recall")
    texts = plugin_content(pea, "text")
    f.check("note/text_summary" in texts, "text plugin has note/text_summary")
    if "note/text_summary" in texts:
        e = pea.Tensors("note/text_summary")
        f.check(len(e) == 1 and e[0].step == 2 and
                tensor_util.make_ndarray(e[0].tensor_proto).tolist() == [b"hello **tensorgrad**"],
                "note: the text at step 2")


def check_hparams(f, run):
    hp = os.path.join(run, "hp_run")
    content = plugin_content(plugin_accumulator(hp), "hparams") if os.path.isdir(hp) else {}
    f.check(set(content) == {"_hparams_/experiment", "_hparams_/session_start_info",
                             "_hparams_/session_end_info"}, "hparams: the plugin's three tags")
    if len(content) != 3:
        return
    data = {tag: plugin_data_pb2.HParamsPluginData.FromString(c) for tag, c in content.items()}
    exp = data["_hparams_/experiment"].experiment
    f.check([(h.name, h.type) for h in exp.hparam_infos] ==
            [("lr", 3), ("optimizer", 1), ("batch", 3)], "hparams: names and types")
    f.check([m.name.tag for m in exp.metric_infos] == ["hparam/accuracy", "hparam/loss"],
            "hparams: metric tags")
    start = data["_hparams_/session_start_info"].session_start_info.hparams
    f.check(start["lr"].number_value == 0.05 and start["optimizer"].string_value == "adam" and
            start["batch"].number_value == 16, "hparams: session start values")
    f.check(data["_hparams_/session_end_info"].session_end_info.status == 1,
            "hparams: session ended with STATUS_SUCCESS")
    ea = accumulator(hp)
    f.check(scalars(ea, "hparam/accuracy") == [(0, 0.875)] and
            scalars(ea, "hparam/loss") == [(0, 0.25)], "hparams: the metrics as scalars")


def check_graph(f, ea):
    try:
        graph = ea.Graph()
    except ValueError:
        f.check(False, "graph: the run has a GraphDef")
        return
    nodes = {n.name: n for n in graph.node}
    f.check("input/x" in nodes and "Net/fc1/weight" in nodes and "Net/fc2/bias" in nodes,
            "graph: input and parameters under the module tree")
    ops = sorted(n.op for n in graph.node)
    f.check(ops.count("linear") == 2 and ops.count("relu") == 1 and ops.count("sigmoid") == 1,
            f"graph: the forward's ops (got {ops})")
    for n in graph.node:
        for i in n.input:
            f.check(i in nodes, f"graph: {n.name}'s input {i} is a node")
        if n.op == "relu":
            f.check(n.name.startswith("Net/"), "graph: relu is in Net's scope")
        if n.op == "sigmoid":
            f.check(n.name.startswith("Net/act/"), "graph: sigmoid in Net/act")
    if "Net/fc1/weight" in nodes:
        shape = nodes["Net/fc1/weight"].attr["_output_shapes"].list.shape
        f.check([d.size for d in shape[0].dim] == [8, 2] if shape else False,
                "graph: fc1.weight has shape (8, 2)")


def check_figure(f, ea, png):
    images = ea.Images("figure/square") if "figure/square" in ea.Tags()["images"] else []
    f.check(len(images) == 1 and images[0].step == 1, "figure/square at step 1")
    for im in images:
        got = np.array(Image.open(io.BytesIO(im.encoded_image_string)).convert("RGB"))
        f.check(np.array_equal(got, np.array(Image.open(png).convert("RGB"))),
                "figure/square: the same pixels as tg_figure_save's PNG")


def check_interop_run(out):
    f = Failures()
    run = os.path.join(out, "tb")
    check_scalars(f, run)
    ea = accumulator(run)
    check_histograms(f, ea)
    check_image(f, ea)
    check_plugin_records(f, run)
    check_hparams(f, run)
    check_graph(f, ea)
    check_figure(f, ea, os.path.join(out, "figure.png"))
    return f


# ---- 2. what the examples write --------------------------------------------------

def run_dirs(out):
    return sorted({os.path.dirname(p) for p in
                   glob.glob(os.path.join(out, "**", "events.out.tfevents.*"), recursive=True)})


def count_records(path):
    """TFRecord framing walked independently: (length, length CRC, data, data
    CRC) until the end; None if the framing does not add up."""
    raw = open(path, "rb").read()
    n, at = 0, 0
    while at + 12 <= len(raw):
        (length,) = struct.unpack("<Q", raw[at:at + 8])
        at += 12 + length + 4
        n += 1
    return n if at == len(raw) else None


def check_event_files(f, run):
    """TensorBoard's loader reads every record of every event file (it stops
    at the first one whose CRC or framing is wrong)."""
    for path in sorted(glob.glob(os.path.join(run, "events.out.tfevents.*"))):
        try:
            read = sum(1 for _ in event_file_loader.EventFileLoader(path).Load())
        except Exception as e:  # the loader gives up on the file
            read = f"an error: {e}"
        f.check(read == count_records(path),
                f"{path}: TensorBoard reads {read} of {count_records(path)} records")


def check_pr_curves(f, run):
    pea = plugin_accumulator(run)
    for tag in plugin_content(pea, "pr_curves"):
        for e in pea.Tensors(tag):
            got = tensor_util.make_ndarray(e.tensor_proto)
            f.check(got.ndim == 2 and got.shape[0] == 6 and np.all(np.isfinite(got)),
                    f"{run} PR curve {tag} step {e.step}: 6 finite rows")


def check_event_runs(f, out, epochs):
    runs = run_dirs(out)
    f.check(runs, f"{out}: has event files")
    n_tags = 0
    for run in runs:  # add_scalars' parent run holds no scalars, its series do
        check_event_files(f, run)
        check_pr_curves(f, run)
        ea = accumulator(run)
        tags = ea.Tags()["scalars"]
        n_tags += len(tags)
        for tag in tags:
            steps = [s for s, _ in scalars(ea, tag)]
            values = [v for _, v in scalars(ea, tag)]
            f.check(all(math.isfinite(v) for v in values), f"{run} {tag}: finite values")
            if epochs is not None:
                f.check(steps == list(range(epochs)), f"{run} {tag}: steps 0..{epochs - 1}")
        for tag in ea.Tags()["images"]:
            for im in ea.Images(tag):
                try:
                    picture = Image.open(io.BytesIO(im.encoded_image_string))
                    picture.load()
                    size = picture.size
                except Exception as e:  # PIL rejects the image
                    size = f"unreadable ({e})"
                f.check(size == (im.width, im.height),
                        f"{run} image {tag} step {im.step}: {size} vs {im.width}x{im.height}")
    f.check(n_tags > 0, f"{out}: TensorBoard reads scalars")


def check_figures(f, out):
    """Every PNG decodes with PIL; every SVG parses as XML, as svg_check says."""
    for path in sorted(glob.glob(os.path.join(out, "**", "*.png"), recursive=True)):
        try:
            with Image.open(path) as picture:
                picture.verify()  # every chunk's CRC
            with Image.open(path) as picture:
                picture.load()
                f.check(picture.width >= 100 and picture.height >= 100,
                        f"{path}: only {picture.width}x{picture.height}")
        except Exception as e:  # PIL rejects the file
            f.check(False, f"{path}: PIL rejects it: {e}")
    for path in sorted(glob.glob(os.path.join(out, "**", "*.svg"), recursive=True)):
        for problem in check_svg(path):
            f.check(False, problem)


def check_safetensors_file(f, path):
    """load_file and safe_open against the independent parse."""
    try:
        tensors = load_file(path)
        with safe_open(path, framework="pt") as st:
            meta = st.metadata() or {}
            names = sorted(st.keys())
    except Exception as e:  # the real reader rejects the file
        f.check(False, f"{path}: safetensors rejects it: {e}")
        return {}, {}
    ref, ref_meta = independent_load(path)
    f.check(names == sorted(ref), f"{path}: names")
    f.check(meta == ref_meta and meta.get("format") == "pt", f"{path}: metadata")
    for name, t in tensors.items():
        r = ref.get(name)
        f.check(r is not None and t.dtype == r.dtype and t.shape == r.shape and
                torch.equal(t, r), f"{path}: {name} dtype, shape, values")
    if "epoch" in meta:
        f.check(meta["epoch"].isdigit(), f"{path}: epoch metadata is an integer")
    return tensors, meta


def check_moons_histories(f, out, tensors, meta):
    """The checkpoint's loss histories are what moons logged to TensorBoard."""
    ea = accumulator(os.path.join(out, "tb"))
    n = int(meta.get("epoch", "0"))
    for tag, key in (("Loss/train", "extra.loss"), ("Loss/val", "extra.val_loss")):
        logged = [v for _, v in scalars(ea, tag)][:n]
        saved = tensors.get(key)
        f.check(saved is not None and len(logged) == n and
                logged == [f32(v) for v in saved.tolist()],
                f"moons: TensorBoard's {tag} equals the checkpoint's {key}")


def check_example_outputs(out, name, epochs):
    f = Failures()
    check_event_runs(f, out, epochs)
    check_figures(f, out)
    for path in sorted(glob.glob(os.path.join(out, "**", "*.safetensors"), recursive=True)):
        tensors, meta = check_safetensors_file(f, path)
        if name == "moons" and os.path.basename(path) == "best.safetensors":
            check_moons_histories(f, out, tensors, meta)
    return f


# ---- 3. checkpoints through PyTorch (the code of docs/checkpoints.md) ----------------

DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs")


def checkpoint_functions():
    """Runs the ```python block of docs/checkpoints.md; returns its names."""
    text = open(os.path.join(DOCS, "checkpoints.md")).read()
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    names = {}
    exec(code, names)
    return names


def torch_run():
    """interop_checkpoint.c's model, optimizer and data, in PyTorch."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    x = torch.tensor([[i / 4 - 1, (i * 3 % 8) / 4 - 1] for i in range(8)])
    y = (x[:, 0] - 2 * x[:, 1]).reshape(8, 1)
    return model, optimizer, x, y


def torch_train(model, optimizer, x, y, steps):
    for _ in range(steps):
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        optimizer.step()


def same_state(f, what, path, model, optimizer):
    """The C checkpoint's model and Adam moments equal torch's (float32 drift)."""
    flat = load_file(path)
    for name, v in model.state_dict().items():
        f.check(torch.allclose(flat["model." + name], v, rtol=1e-5, atol=1e-6),
                f"{what}: model.{name}")
    for i, state in optimizer.state_dict()["state"].items():
        for name in ("exp_avg", "exp_avg_sq"):
            f.check(torch.allclose(flat[f"optimizer.state.{i}.{name}"], state[name],
                                   rtol=1e-5, atol=1e-9), f"{what}: state {i} {name}")


def check_checkpoint_round_trip(build, tmp):
    f = Failures()
    fns = checkpoint_functions()
    program = os.path.join(build, "tests", "interop_checkpoint")
    path = lambda name: os.path.join(tmp, name + ".safetensors")
    subprocess.run([program, "-", path("c5"), "5"], check=True)
    subprocess.run([program, path("c5"), path("c10"), "5"], check=True)
    model, optimizer, x, y = torch_run()
    epoch, extra = fns["load_tensorgrad_checkpoint"](path("c5"), model, optimizer)
    f.check(epoch == 5 and extra == {}, "C -> torch: epoch 5, no extra")
    torch_train(model, optimizer, x, y, 5)
    same_state(f, "C 5 steps -> torch 5 steps == C 10 steps", path("c10"), model, optimizer)
    fns["save_tensorgrad_checkpoint"](path("t10"), model, optimizer, 10,
                                      {"note": torch.arange(3.0)})
    subprocess.run([program, path("t10"), path("c13"), "3"], check=True)
    torch_train(model, optimizer, x, y, 3)
    same_state(f, "torch checkpoint -> C 3 steps == torch 3 steps", path("c13"), model,
               optimizer)
    with safe_open(path("c13"), framework="pt") as st:
        f.check(st.metadata()["epoch"] == "13", "torch -> C: the epoch counts on")
    return f


# ---- 4. corrupted copies -----------------------------------------------------------

def flip_byte(path, offset_from_end):
    raw = bytearray(open(path, "rb").read())
    raw[len(raw) - offset_from_end] ^= 0x5A
    open(path, "wb").write(raw)


def corrupt_event_file(out):
    main = glob.glob(os.path.join(out, "tb", "events.out.tfevents.*"))[0]
    size = os.path.getsize(main)
    flip_byte(main, size // 2)  # inside a record in the middle of the file


def corrupt_checkpoint_data(out):
    """Flips a byte of extra.loss's first value, found through the header."""
    path = os.path.join(out, "best.safetensors")
    raw = bytearray(open(path, "rb").read())
    (n,) = struct.unpack("<Q", raw[:8])
    begin = json.loads(raw[8:8 + n])["extra.loss"]["data_offsets"][0]
    raw[8 + n + begin + 6] ^= 0x5A
    open(path, "wb").write(raw)


def corrupt_checkpoint_header(out):
    path = os.path.join(out, "best.safetensors")
    raw = open(path, "rb").read()
    open(path, "wb").write(raw.replace(b'"F64"', b'"F65"', 1))


def corrupt_figure(out):
    """A flipped byte in the middle of the first PNG's compressed pixels."""
    path = sorted(glob.glob(os.path.join(out, "*.png")))[0]
    flip_byte(path, os.path.getsize(path) // 2)


def truncate_svg(out):
    path = sorted(glob.glob(os.path.join(out, "*.svg")))[0]
    raw = open(path, "rb").read()
    open(path, "wb").write(raw[:len(raw) // 2])


def main():
    build = sys.argv[1]
    passed, failed = 0, 0

    def report(what, failures, expect_failure=False):
        nonlocal passed, failed
        ok = bool(failures) == expect_failure
        passed, failed = passed + ok, failed + (not ok)
        print(f"{'ok  ' if ok else 'FAIL'} {what}")
        for msg in failures if not ok or expect_failure else []:
            print(f"       {'caught: ' if expect_failure else ''}{msg}")

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "interop")
        subprocess.run([os.path.join(build, "tests", "interop_tensorboard"), out], check=True)
        report("every record kind, read by TensorBoard", check_interop_run(out))
        bad = os.path.join(tmp, "interop_corrupt")
        shutil.copytree(out, bad)
        corrupt_event_file(bad)
        report("a flipped byte in an event file is caught", check_interop_run(bad), True)

        for name, args, epochs in EXAMPLES:
            if name == "fashion_mnist" and not os.path.exists(FASHION_MNIST):
                print(f"skip fashion_mnist: {FASHION_MNIST} is absent "
                      "(apt-get install dataset-fashion-mnist)")
                continue
            ex_out = os.path.join(tmp, name)
            subprocess.run([os.path.join(build, "examples", name), *args, "--out", ex_out],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            report(f"{name}: event files and checkpoints, read by the real readers",
                   check_example_outputs(ex_out, name, epochs))
        report("checkpoints: C -> PyTorch -> C continue training alike",
               check_checkpoint_round_trip(build, tmp))
        corruptions = [  # (example, epochs, what, how)
            ("moons", 3, "checkpoint with a flipped data byte", corrupt_checkpoint_data),
            ("moons", 3, "checkpoint with a broken header", corrupt_checkpoint_header),
            ("moons", 3, "event file with a flipped byte", corrupt_event_file),
            ("logistic_regression", 4, "PNG figure with a flipped byte", corrupt_figure),
            ("logistic_regression", 4, "SVG figure cut in half", truncate_svg),
        ]
        for name, epochs, what, corrupt in corruptions:
            bad = os.path.join(tmp, f"{name}_{corrupt.__name__}")
            shutil.copytree(os.path.join(tmp, name), bad)
            corrupt(bad)
            report(f"{name}: {what} is caught", check_example_outputs(bad, name, epochs), True)

    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
