"""PyTorch 1.13's in-place checks for the cases of tests/test_saved_inputs.c.

Prints, per case, whether backward raises "modified by an inplace
operation": the C test expects the same outcome for each (it states them
inline; run this with /usr/bin/python3 to see where they come from), plus
the retained gradients of its retain_grad cases.
"""
import torch


def outcome(build):
    try:
        build().sum().backward()
        return "ok"
    except RuntimeError as e:
        return "error" if "modified by an inplace operation" in str(e) else repr(e)


def case(op, write):
    """op(a, c) with a = x * 1 (x requires grad); write 'a', 'c' or 'out'."""
    def build():
        x = torch.rand(3, 3, dtype=torch.float64, requires_grad=True)
        a, c = x * 1, torch.rand(3, 3, dtype=torch.float64) + 1
        out = op(a, c)
        {"a": a, "c": c, "out": out}[write].add_(1)
        return out
    return outcome(build)


w = torch.rand(3, 3, dtype=torch.float64, requires_grad=True)
cases = {
    "mul, write a": case(torch.mul, "a"),
    "mul, write c": case(torch.mul, "c"),
    "div, write a": case(torch.div, "a"),
    "relu, write input": case(lambda a, c: torch.relu(a), "a"),
    "relu, write output": case(lambda a, c: torch.relu(a), "out"),
    "matmul with a constant, write a": case(torch.matmul, "a"),
    "linear (w requires grad), write x": case(lambda a, c: torch.nn.functional.linear(a, w), "a"),
    "linear (w constant), write x": case(lambda a, c: torch.nn.functional.linear(a, w.detach()), "a"),
}
for name, result in cases.items():
    print(f"{name}: {result}")

x = torch.ones(4, dtype=torch.float64, requires_grad=True)
y = x * 2
z = (y * 3).sum()
y.retain_grad()  # after its use
z.backward()
print("retain_grad after use: y.grad =", y.grad.tolist())
v = x * 1
v.retain_grad()
before = v * 5
v.mul_(2)
after = v * 7
(before + after).sum().backward()
print("retain_grad across an in-place write: v.grad =", v.grad.tolist())
