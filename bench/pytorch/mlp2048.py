"""Twin of bench/mlp2048.c: one step of a 784-2048-2048-10 MLP, batch 512,
Adam, CrossEntropyLoss, on Fashion-MNIST-shaped random float32 input."""
import common
from train import batch_step_mlp

args = common.parse()
s = batch_step_mlp([784, 2048, 2048, 10], 512)
common.report("mlp2048_step", args.threads, common.time_median(lambda: s.steps(1), args.reps))
