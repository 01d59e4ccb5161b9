"""The offline mapper's interpretation passes, by concern; ``interpretation.PASSES`` orders them."""
