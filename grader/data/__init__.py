"""Data sets of the model lessons: manifests, storage, fetch and import (store), loaders."""
