# {{name}}: a function in R. The runtime layer's bootstrap runs this script
# with the event's file as its argument; what it prints is the response,
# here an API Gateway proxy response. Base R only: numbers are read from
# the event with a regular expression, the JSON answer is written by hand.

args <- commandArgs(trailingOnly = TRUE)
event <- if (length(args) > 0) paste(readLines(args[1], warn = FALSE), collapse = "\n") else "{}"

# ?values=1,2,3 in the query string, else a sample
m <- regmatches(event, regexec('"values"[[:space:]]*:[[:space:]]*"([-0-9.,eE ]+)"', event))[[1]]
values <- if (length(m) == 2) as.numeric(strsplit(m[2], ",")[[1]]) else c(3.1, 4.1, 5.9, 2.6, 5.3, 5.8)
values <- values[!is.na(values)]

body <- sprintf('{"message": "hello from %s", "n": %d, "mean": %s, "sd": %s, "median": %s}',
                R.version.string, length(values), format(mean(values)), format(sd(values)),
                format(median(values)))
escaped <- gsub('"', '\\\\"', body)
cat(sprintf('{"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "%s"}\n', escaped))
