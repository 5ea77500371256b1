"""The optimizers lesson's trusted helpers inside the child that runs student code.

Copied beside the child's runner and imported before any student code (numpy and the standard
library only). ``Program.helper("plain_sgd", ...)`` applies :class:`PlainSGD`.
"""


class PlainSGD:
    """p <- p - lr g in place: the textbook update, to check a training loop apart from the
    student's own optimizers."""

    def __init__(self, params, lr):
        self.params, self.lr = list(params), lr

    def step(self, grads):
        for param, grad in zip(self.params, grads):
            param -= self.lr * grad


#: Trusted helpers a check may apply in the child: a test double for a training loop.
HELPERS = {"plain_sgd": PlainSGD}
