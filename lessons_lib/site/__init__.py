"""The course site: both editions as static HTML from the committed notebooks (`make site`)."""
