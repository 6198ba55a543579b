"""boiler: labels each line of a scraped page as article body or site chrome.

>>> import boiler
>>> labeler = boiler.load()
>>> [r.label for r in labeler.label("Home\\nA long paragraph of the article ...\\nShare")]
"""

from importlib import metadata as _metadata

from .errors import BoilerError, InputError, ModelFileError
from .formats import Label, Page
from .labeler import Labeler, LineResult, load
from .templates import SiteTemplate, TemplateStore, learn_template

try:
    __version__ = _metadata.version("boiler")
except _metadata.PackageNotFoundError:  # running from a checkout that is not installed
    __version__ = "0.0.0+checkout"

__all__ = ["load", "Labeler", "LineResult", "learn_template", "SiteTemplate", "TemplateStore", "Label", "Page",
           "BoilerError", "InputError", "ModelFileError", "__version__"]
