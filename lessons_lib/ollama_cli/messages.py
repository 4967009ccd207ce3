"""Every line the course's `ollama` command prints, in one place (the Polish edition translates the
course's own lines; the lines Ollama itself prints stay as Ollama prints them, so a learner can
search for them).

Ollama's texts come from its CLI source, github.com/ollama/ollama cmd/cmd.go and cmd/interactive.go
(snapshot fb30760, 2026-08-21).
"""

from __future__ import annotations

# --- `ollama` with no arguments, `ollama --help` ---------------------------------------------------
# Ollama 0.1-0.12 print this usage (cobra's help); Ollama 0.13+ opens a menu instead. The source
# lessons show the usage, so the course's command prints it.
COMMANDS = (
    ("serve", "Start Ollama"),
    ("create", "Create a model"),
    ("show", "Show information for a model"),
    ("run", "Run a model"),
    ("stop", "Stop a running model"),
    ("pull", "Pull a model from a registry"),
    ("list", "List models"),
    ("ps", "List running models"),
    ("cp", "Copy a model"),
    ("rm", "Remove a model"),
    ("help", "Help about any command"),
)
USAGE = """Large language model runner

Usage:
  ollama [flags]
  ollama [command]

Available Commands:
{commands}

Flags:
  -h, --help      help for ollama
  -v, --version   Show version information

Use "ollama [command] --help" for more information about a command."""
COMMAND_USAGE = {
    "serve": "ollama serve",
    "create": 'ollama create MODEL [flags]\n\nFlags:\n  -f, --file string       Name of the Modelfile (default "Modelfile")',
    "show": (
        "ollama show MODEL [flags]\n\nFlags:\n      --license      Show license of a model\n"
        "      --modelfile    Show Modelfile of a model\n      --parameters   Show parameters of a model\n"
        "      --system       Show system message of a model\n      --template     Show template of a model\n"
        "  -v, --verbose      Show detailed model information"
    ),
    "run": (
        "ollama run MODEL [PROMPT] [flags]\n\nFlags:\n      --format string      Response format (e.g. json)\n"
        "      --hidethinking       Hide thinking output (if provided)\n"
        "      --keepalive string   Duration to keep a model loaded (e.g. 5m)\n"
        "      --nowordwrap         Don't wrap words to the next line automatically\n"
        "      --think string       Enable thinking mode: true/false\n"
        "      --verbose            Show timings for response"
    ),
    "stop": "ollama stop MODEL",
    "pull": "ollama pull MODEL [flags]\n\nFlags:\n      --insecure   Use an insecure registry",
    "list": "ollama list [PREFIX]\n\nAliases:\n  list, ls",
    "ps": "ollama ps",
    "cp": "ollama cp SOURCE DESTINATION",
    "rm": "ollama rm MODEL [MODEL...]",
    "help": "ollama help [command]",
}
COMMAND_HELP = "{short}\n\nUsage:\n  {usage}"

# --- errors (cobra prints "Error: " before each) ---------------------------------------------------
ERROR = "Error: {message}"
ERR_UNKNOWN_COMMAND = 'unknown command "{name}" for "ollama"'
ERR_UNKNOWN_FLAG = "unknown flag: {flag}"
ERR_EXACT_ARGS = "accepts {n} arg(s), received {got}"
ERR_MIN_ARGS = "requires at least {n} arg(s), only received {got}"
ERR_NO_SERVER = "could not connect to ollama server, run 'ollama serve' to start it"
ERR_STOP_NOT_FOUND = 'couldn\'t find model "{name}" to stop'
ERR_MODELFILE_NOT_FOUND = "specified Modelfile wasn't found"
ERR_SHOW_FLAGS = "only one of '--license', '--modelfile', '--parameters', '--system', or '--template' can be specified"
ERR_FLAG_VALUE = "flag needs an argument: {flag}"
WARN_NO_INSTANCE = "Warning: could not connect to a running Ollama instance"
WARN_CLIENT_VERSION = "Warning: client version is {version}"
VERSION_LINE = "ollama version is {version}"

# --- what the commands print -----------------------------------------------------------------------
COPIED = "copied '{source}' to '{destination}'"
DELETED = "deleted '{name}'"
PULLING = "pulling {digest}:"
THINKING_OPEN = "Thinking...\n"
THINKING_CLOSE = "...done thinking.\n\n"
STATS = (
    ("total duration:       {}", "total_duration"),
    ("load duration:        {}", "load_duration"),
    ("prompt eval count:    {} token(s)", "prompt_eval_count"),
    ("prompt eval duration: {}", "prompt_eval_duration"),
    ("prompt eval rate:     {:.2f} tokens/s", "prompt_eval_rate"),
    ("eval count:           {} token(s)", "eval_count"),
    ("eval duration:        {}", "eval_duration"),
    ("eval rate:            {:.2f} tokens/s", "eval_rate"),
)

# --- the interactive chat (`ollama run MODEL`) -----------------------------------------------------
PROMPT = ">>> "
ALT_PROMPT = "... "
EXIT_HINT = "\nUse Ctrl + d or /bye to exit."
HELP = """Available Commands:
  /set            Set session variables
  /show           Show model information
  /load <model>   Load a session or model
  /save <model>   Save your current session
  /clear          Clear session context
  /bye            Exit
  /?, /help       Help for a command
  /? shortcuts    Help for keyboard shortcuts

Use \"\"\" to begin a multi-line message.
"""
HELP_SET = """Available Commands:
  /set parameter ...     Set a parameter
  /set system <string>   Set system message
  /set format json       Enable JSON mode
  /set noformat          Disable formatting
  /set verbose           Show LLM stats
  /set quiet             Disable LLM stats
  /set think             Enable thinking
  /set nothink           Disable thinking
"""
HELP_SHOW = """Available Commands:
  /show info         Show details for this model
  /show license      Show model license
  /show modelfile    Show Modelfile for this model
  /show parameters   Show parameters for this model
  /show system       Show system message
  /show template     Show prompt template
"""
HELP_SHORTCUTS = """Available keyboard shortcuts:
  Ctrl + a            Move to the beginning of the line (Home)
  Ctrl + e            Move to the end of the line (End)
  Ctrl + c            Stop the model from responding
  Ctrl + d            Exit ollama (/bye)
"""
HELP_PARAMETERS = """Available Parameters:
  /set parameter seed <int>             Random number seed
  /set parameter num_predict <int>      Max number of tokens to predict
  /set parameter top_k <int>            Pick from top k num of tokens
  /set parameter top_p <float>          Pick token based on sum of probabilities
  /set parameter min_p <float>          Pick token based on top token probability * min_p
  /set parameter num_ctx <int>          Set the context size
  /set parameter temperature <float>    Set creativity level
  /set parameter repeat_penalty <float> How strongly to penalize repetitions
  /set parameter repeat_last_n <int>    Set how far back to look for repetitions
  /set parameter num_gpu <int>          The number of layers to send to the GPU
  /set parameter stop <string> <string> ...   Set the stop parameters
"""
SET_PARAMETER = "Set parameter '{name}' to '{value}'"
SET_PARAMETER_FAILED = 'Couldn\'t set parameter: "{error}"'
SET_SYSTEM = "Set system message."
SET_VERBOSE = "Set 'verbose' mode."
SET_QUIET = "Set 'quiet' mode."
SET_THINK = "Set 'think' mode."
SET_NOTHINK = "Set 'nothink' mode."
SET_FORMAT = "Set format to '{format}' mode."
SET_FORMAT_INVALID = "Invalid or missing format. For 'json' mode use '/set format json'"
SET_NOFORMAT = "Disabled format."
SET_UNKNOWN = "Unknown command '/set {what}'. Type /? for help"
SHOW_UNKNOWN = "Unknown command '/show {what}'. Type /? for help"
UNKNOWN = "Unknown command '{command}'. Type /? for help"
CLEARED = "Cleared session context"
LOADING = "Loading model '{name}'"
NO_SUCH_MODEL = "Couldn't find model '{name}'"
SAVE_USAGE = "Usage:\n  /save <modelname>"
LOAD_USAGE = "Usage:\n  /load <modelname>"
SAVED = "Created new model '{name}'"
NO_LICENSE = "No license was specified for this model."
NO_SYSTEM = "No system message was specified for this model."
NO_TEMPLATE = "No prompt template was specified for this model."
MODEL_PARAMETERS = "Model defined parameters:"
NO_MODEL_PARAMETERS = "  No additional parameters were specified for this model."
USER_PARAMETERS = "User defined parameters:"
ERROR_LINE = "error: {message}"
