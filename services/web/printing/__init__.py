"""PDFs made on the server (fpdf2): the innovation profile in the shape of the ministry's IID
form, the submission receipt and the review sheet. ``sheet`` holds the page layout every
document shares; ``documents`` what each document says."""
