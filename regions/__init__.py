"""Exact linear regions of piecewise-linear (ReLU) torch networks over a 2-D domain.

>>> import torch, regions
>>> model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
>>> p = regions.linear_regions(model, bbox=(-10, -10, 10, 10))
>>> p.verify()
"""

from .boundaries import Boundaries, neuron_boundaries, plot_boundaries
from .bounds import montufar_lower_bound, one_layer_max, serra_upper_bound
from .classify import (
    DecisionBoundary,
    class_regions,
    decision_boundary,
    plot_class_regions,
    plot_decision_boundary,
    predict_class,
)
from .domain import DEFAULT_BBOX, Domain, as_domain
from .engine import METHODS, count_regions, linear_regions
from .errors import (
    ArgumentTypeError,
    DomainError,
    InputDimensionError,
    NonFiniteWeightError,
    ParameterError,
    RegionLimitError,
    RegionsError,
    ShapeMismatchError,
    TopologyError,
    TrainingModeError,
    UnsupportedLayerError,
    VerificationError,
)
from .merge import count_function_regions, merge_regions
from .network import SUPPORTED_LAYERS, Network, as_network
from .partition import Partition, check_partition
from .plane import Plane
from .plot import (
    exact_gradient_image,
    plot_gradient_raster,
    plot_layers,
    plot_partition,
    plot_surface,
)
from .program import Program, Stage
from .raster import (
    GradientRaster,
    RasterReport,
    compare_raster,
    gradient_raster,
    raster_count,
    resolution_study,
)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_BBOX",
    "METHODS",
    "Boundaries",
    "SUPPORTED_LAYERS",
    "DecisionBoundary",
    "Domain",
    "GradientRaster",
    "RasterReport",
    "ArgumentTypeError",
    "DomainError",
    "InputDimensionError",
    "Network",
    "NonFiniteWeightError",
    "ParameterError",
    "Partition",
    "Plane",
    "Program",
    "RegionLimitError",
    "RegionsError",
    "ShapeMismatchError",
    "Stage",
    "TopologyError",
    "TrainingModeError",
    "UnsupportedLayerError",
    "VerificationError",
    "__version__",
    "as_domain",
    "as_network",
    "check_partition",
    "class_regions",
    "compare_raster",
    "count_function_regions",
    "count_regions",
    "decision_boundary",
    "exact_gradient_image",
    "gradient_raster",
    "linear_regions",
    "merge_regions",
    "montufar_lower_bound",
    "neuron_boundaries",
    "one_layer_max",
    "plot_boundaries",
    "plot_class_regions",
    "plot_decision_boundary",
    "plot_gradient_raster",
    "plot_layers",
    "plot_partition",
    "plot_surface",
    "predict_class",
    "raster_count",
    "resolution_study",
    "serra_upper_bound",
]
