"""Reading datasets: listing sources, validating files, decoding images to RGB."""
