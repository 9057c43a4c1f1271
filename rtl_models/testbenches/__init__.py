"""cocotb test modules (run inside the simulator by ``rtl_models.runner``)."""
