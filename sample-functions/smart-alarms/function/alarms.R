# Smart Alarms: anomaly detection over a cold room's temperature readings,
# in R because the thing we want to use isn't in Python. The bootstrap of
# the runtime layer runs this script with the event's file as its argument;
# what it prints on stdout is the function's response.
#
# Each reading is compared with the running median of its neighbours; a
# reading further than `threshold` robust standard deviations (the MAD of
# the residuals) from it raises an alarm. The event may set "threshold" and
# "window" (odd); base R only, so no JSON package: numbers are read with a
# regular expression and the answer is written by hand.

args <- commandArgs(trailingOnly = TRUE)
event <- if (length(args) > 0) paste(readLines(args[1], warn = FALSE), collapse = "\n") else "{}"

number_in <- function(json, name, default) {
  m <- regmatches(json, regexec(sprintf('"%s"[[:space:]]*:[[:space:]]*(-?[0-9.eE+-]+)', name), json))[[1]]
  if (length(m) == 2) as.numeric(m[2]) else default
}

json_string <- function(s) paste0('"', gsub('(["\\\\])', "\\\\\\1", s), '"')

threshold <- number_in(event, "threshold", 5)
window <- number_in(event, "window", 7)
if (window %% 2 == 0) window <- window + 1

root <- Sys.getenv("LAMBDA_TASK_ROOT", ".")
d <- read.csv(file.path(root, "readings.csv"), stringsAsFactors = FALSE)

expected <- runmed(d$celsius, k = window, endrule = "median")
residual <- d$celsius - expected
spread <- mad(residual)
if (spread == 0) spread <- 1e-9
score <- residual / spread
hits <- which(abs(score) > threshold)

alarms <- vapply(hits, function(i) {
  sprintf('{"time": %s, "sensor": %s, "celsius": %.2f, "expected": %.2f, "score": %.1f}',
          json_string(d$time[i]), json_string(d$sensor[i]), d$celsius[i], expected[i], score[i])
}, "")

cat(sprintf('{"readings": %d, "threshold": %s, "window": %d, "alarms": [%s]}\n',
            nrow(d), format(threshold), as.integer(window), paste(alarms, collapse = ", ")))
