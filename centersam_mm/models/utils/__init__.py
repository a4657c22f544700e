from .nucleus_scale import (box_diameters, estimate_scale, median_diameter, probe_window, resize_input,
                            scale_from_options, scaled_size)

__all__ = ['box_diameters', 'estimate_scale', 'median_diameter', 'probe_window', 'resize_input',
           'scale_from_options', 'scaled_size']
