"""The %.17g golden text that data.py and datasets.py write: one entry a line,
    <name> <ndim> <d0> ... <dn-1> <v0> <v1> ...
into <name>.txt beside the script that imports this."""
import os

import numpy as np


class GoldenText:
    def __init__(self, script, txt_name):
        self.path = os.path.join(os.path.dirname(os.path.abspath(script)), txt_name)
        self.lines = []

    def emit(self, name, values):
        a = np.asarray(values, dtype=np.float64)
        if a.ndim == 0:
            a = a.reshape(1)
        dims = " ".join(str(d) for d in a.shape)
        vals = " ".join("%.17g" % v for v in a.ravel())
        self.lines.append("%s %d %s %s" % (name, a.ndim, dims, vals))

    def write(self):
        with open(self.path, "w") as f:
            f.write("\n".join(self.lines) + "\n")
        print("wrote %d entries to %s" % (len(self.lines), self.path))
