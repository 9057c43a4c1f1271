def supports(blocks, element):
    return False
