"""Golden values for tests/test_vision.c: torchvision 0.14's transforms on
tensors, as its source writes them (torchvision itself is not a Debian
package; each function below is the body torchvision runs for a tensor
image, random draws in the same order), with PyTorch 1.13.

Run with /usr/bin/python3 from the repository root:
    /usr/bin/python3 tests/golden/vision.py
Writes tests/golden/vision.txt (see golden_text.py for the format):
  image                  the raw (2, 5, 6) image, values 0 .. 255
  chain.<k>              flip(0.5), crop((4, 5), padding=1), to_tensor,
                         normalize on the image, the k-th time, seed 3
  crop_only.<k>          crop((5, 6), padding=2) alone, seed 11
  flip_always / to_tensor / normalize   the deterministic ones
"""
import torch
import torch.nn.functional as F

from golden_text import GoldenText

assert torch.__version__.startswith("1.13"), torch.__version__
out = GoldenText(__file__, "vision.txt")


def random_horizontal_flip(img, p):  # RandomHorizontalFlip.forward
    if torch.rand(1) < p:
        return img.flip(-1)
    return img


def random_crop(img, size, padding):  # RandomCrop.forward, get_params
    if padding:
        img = F.pad(img, [padding] * 4, mode="constant", value=0)
    h, w = img.shape[-2:]
    th, tw = size
    if h == th and w == tw:
        return img
    i = torch.randint(0, h - th + 1, size=(1,)).item()
    j = torch.randint(0, w - tw + 1, size=(1,)).item()
    return img[..., i:i + th, j:j + tw]


def to_tensor(img):  # ToTensor on uint8 data
    return img.to(torch.float32).div(255)


def normalize(img, mean, std):  # F.normalize on a tensor
    mean = torch.as_tensor(mean, dtype=img.dtype)[:, None, None]
    std = torch.as_tensor(std, dtype=img.dtype)[:, None, None]
    return img.sub(mean).div(std)


MEAN, STD = [0.5, 0.25], [0.2, 0.4]
image = ((torch.arange(60) * 37 + 11) % 256).reshape(2, 5, 6).to(torch.float32)
out.emit("image", image.numpy())

torch.manual_seed(3)
for k in range(8):
    x = random_horizontal_flip(image, 0.5)
    x = random_crop(x, (4, 5), 1)
    x = normalize(to_tensor(x), MEAN, STD)
    out.emit(f"chain.{k}", x.numpy())

torch.manual_seed(11)
for k in range(4):
    out.emit(f"crop_only.{k}", random_crop(image, (5, 6), 2).numpy())

out.emit("flip_always", random_horizontal_flip(image, 1.0).numpy())
out.emit("to_tensor", to_tensor(image).numpy())
out.emit("normalize", normalize(to_tensor(image), MEAN, STD).numpy())
out.write()
