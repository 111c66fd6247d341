"""Optimizers as pure, batched steppers with torch.optim's update rules, names and defaults."""

from optviz.optim.adadelta import adadelta
from optviz.optim.adafactor import adafactor
from optviz.optim.adagrad import adagrad
from optviz.optim.adam import adam, adamw
from optviz.optim.adamax import adamax
from optviz.optim.asgd import asgd
from optviz.optim.base import Stepper
from optviz.optim.lbfgs import lbfgs
from optviz.optim.nadam import nadam
from optviz.optim.radam import radam
from optviz.optim.registry import OPTIMIZERS, get_entry, names, resolve
from optviz.optim.rmsprop import rmsprop
from optviz.optim.rprop import rprop
from optviz.optim.sgd import sgd

__all__ = [
    "OPTIMIZERS",
    "Stepper",
    "adadelta",
    "adafactor",
    "adagrad",
    "adam",
    "adamax",
    "adamw",
    "asgd",
    "get_entry",
    "lbfgs",
    "nadam",
    "names",
    "radam",
    "resolve",
    "rmsprop",
    "rprop",
    "sgd",
]
