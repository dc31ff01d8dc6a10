"""PDF pages as images for tests, through pypdfium2 (a pip package): no system binary such as pdftoppm."""
import pypdfium2


def page_image(pdf_bytes, page=0, dpi=40):
    """The page rendered as an RGB PIL image, as a person would see it printed."""
    document = pypdfium2.PdfDocument(pdf_bytes)
    try:
        return document[page].render(scale=dpi / 72).to_pil().convert("RGB")
    finally:
        document.close()


def rightmost_ink(image, threshold=128):
    """The x of the right-most pixel darker than the threshold (0 when the page is blank)."""
    dark = image.convert("L").point(lambda value: 255 if value < threshold else 0)
    box = dark.getbbox()
    return box[2] - 1 if box else 0
