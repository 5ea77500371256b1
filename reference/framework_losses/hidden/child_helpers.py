"""framework_losses' trusted helpers in the child that runs student code.

Copied beside the child's runner and imported before any student code; the frameworks are
imported only when a helper runs (the student's module has imported its own by then). Each
helper takes the student's ``FRAMEWORK`` ("torch" or "keras"), the student's function and
numpy arrays; it hands the function the framework's tensors (of the arrays' dtypes) and
answers in numpy, with what the function returned described (a tensor or not, its dtype).
"""

import copy

import numpy as np

#: The lecture's data: y = 2x - 1 on six points, as (6, 1) columns.
FIT_X = np.array([[-1.0], [0.0], [1.0], [2.0], [3.0], [4.0]], dtype=np.float32)
FIT_Y = 2 * FIT_X - 1


def _framework(framework):
    if framework == "torch":
        import torch

        return torch
    import tensorflow

    return tensorflow


def tensor(framework, array):
    """``array`` as the framework's tensor, keeping its dtype."""
    if framework == "torch":
        return _framework("torch").from_numpy(np.array(array))
    return _framework("keras").constant(array)


def describe(framework, value):
    """What a student's function returned: ``{"tensor": is it the framework's tensor, "type":
    its type's name, "dtype": its dtype's name, "value": its values (numpy) or None}``."""
    if framework == "torch":
        torch = _framework("torch")
        is_tensor = isinstance(value, torch.Tensor)
        dtype = str(value.dtype).replace("torch.", "") if is_tensor else ""
        array = value.detach().cpu().numpy() if is_tensor else None
    else:
        tf = _framework("keras")
        is_tensor = bool(tf.is_tensor(value)) or isinstance(value, tf.Variable)
        dtype = value.dtype.name if is_tensor else ""
        array = np.asarray(value) if is_tensor else None
    kind = type(value)
    return {"tensor": is_tensor, "type": f"{kind.__module__}.{kind.__qualname__}", "dtype": dtype, "value": array}


def call(framework, function, *arrays):
    """``function`` applied to ``arrays`` as tensors, described (:func:`describe`)."""
    return describe(framework, function(*[tensor(framework, array) for array in arrays]))


def call_raw(framework, function, *values):
    """``function(*values)`` with the values passed as they are (a list, a dtype's name), described."""
    return describe(framework, function(*values))


def loss_gradient(framework, loss, y_true, y_pred):
    """``{"loss": the mean of loss(y_true, y_pred), "grad": its gradient with respect to
    y_pred (None where the result does not depend on it through the framework)}``, by
    autograd or ``tf.GradientTape``."""
    y = tensor(framework, y_true)
    if framework == "torch":
        p = tensor(framework, y_pred).requires_grad_(True)
        mean = loss(y, p).mean()
        grad = None
        if mean.requires_grad:
            (grad,) = _framework("torch").autograd.grad(mean, p, allow_unused=True)
        return {"loss": float(mean.detach()), "grad": None if grad is None else grad.numpy()}
    tf = _framework("keras")
    p = tf.Variable(y_pred)
    with tf.GradientTape() as tape:
        mean = tf.reduce_mean(loss(y, p))
    grad = tape.gradient(mean, p)
    return {"loss": float(mean), "grad": None if grad is None else grad.numpy()}


def in_graph(framework, loss, y_true, y_pred):
    """The mean loss and its gradient computed where the framework traces the function:
    inside ``tf.function`` (Keras), under ``torch.func.grad`` (PyTorch)."""
    y, p = tensor(framework, y_true), tensor(framework, y_pred)
    if framework == "torch":
        torch = _framework("torch")
        grad = torch.func.grad(lambda q: loss(y, q).mean())(p)
        return {"loss": float(loss(y, p).mean().detach()), "grad": grad.detach().numpy()}
    tf = _framework("keras")

    @tf.function
    def traced(a, b):
        with tf.GradientTape() as tape:
            tape.watch(b)
            mean = tf.reduce_mean(loss(a, b))
        return mean, tape.gradient(mean, b)

    mean, grad = traced(y, p)
    return {"loss": float(mean), "grad": None if grad is None else grad.numpy()}


def fit_twins(framework, loss, builtin, epochs):
    """Train a one-unit linear model on the lecture's data (y = 2x - 1) with ``loss`` and its
    twin, from the same initial weights, with the framework's built-in loss ``builtin``
    (``"huber:<threshold>"`` or ``"mse"``), each by plain SGD (learning rate 0.01, the whole
    batch per step): ``{"losses", "twin_losses": per epoch, "evaluate", "twin_evaluate": the
    built-in loss of the trained model, "predictions", "twin_predictions"}``."""
    name, _, threshold = builtin.partition(":")
    if framework == "torch":
        return _fit_torch(loss, name, float(threshold or 1.0), epochs)
    return _fit_keras(loss, name, float(threshold or 1.0), epochs)


def _fit_torch(loss, name, threshold, epochs):
    torch = _framework("torch")
    torch.manual_seed(0)
    x, y = torch.from_numpy(FIT_X), torch.from_numpy(FIT_Y)
    first = torch.nn.Linear(1, 1)
    builtin = torch.nn.HuberLoss(delta=threshold) if name == "huber" else torch.nn.MSELoss()
    runs = {}
    for label, model, criterion in (("", first, loss), ("twin_", copy.deepcopy(first), builtin)):
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
        losses = []
        for _ in range(epochs):
            optimizer.zero_grad()
            value = criterion(y, model(x)).mean() if criterion is loss else criterion(model(x), y)
            value.backward()
            optimizer.step()
            losses.append(float(value.detach()))
        with torch.no_grad():
            predictions = model(x)
            runs[f"{label}losses"] = losses
            runs[f"{label}evaluate"] = float(builtin(predictions, y))
            runs[f"{label}predictions"] = predictions.numpy().ravel()
    return runs


def _fit_keras(loss, name, threshold, epochs):
    import keras

    keras.utils.set_random_seed(0)

    def model():
        return keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])

    first, twin = model(), model()
    twin.set_weights(first.get_weights())
    builtin = keras.losses.Huber(delta=threshold) if name == "huber" else keras.losses.MeanSquaredError()
    runs = {}
    for label, network, criterion in (("", first, loss), ("twin_", twin, builtin)):
        network.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss=criterion)
        history = network.fit(FIT_X, FIT_Y, epochs=epochs, batch_size=len(FIT_X), shuffle=False, verbose=0)
        predictions = np.asarray(network(FIT_X))
        runs[f"{label}losses"] = [float(value) for value in history.history["loss"]]
        runs[f"{label}evaluate"] = float(builtin(FIT_Y, predictions))
        runs[f"{label}predictions"] = predictions.ravel()
    return runs


#: Trusted helpers a check may apply in the child.
HELPERS = {
    "call": call,
    "call_raw": call_raw,
    "loss_gradient": loss_gradient,
    "in_graph": in_graph,
    "fit_twins": fit_twins,
}
