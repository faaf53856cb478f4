"""The engine: activations, the network and its backprop, optimisers, datasets, training, the caps on all of it."""
