//! Chat prompts: the model's own Jinja template (`tokenizer.chat_template` in the GGUF, or from
//! `tokenizer_config.json`) rendered with `minijinja` the way Hugging Face renders it
//! (`trim_blocks`, `lstrip_blocks`, Python string methods, `raise_exception`).

use crate::error::{HearthError, Result};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: String,
    pub content: String,
}

pub const ROLES: [&str; 4] = ["system", "user", "assistant", "tool"];

fn template_error(e: minijinja::Error) -> HearthError {
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        msg.push_str(&format!(": {s}"));
        src = s.source();
    }
    HearthError::Template(msg)
}

/// Render `messages` with `template`. `bos`/`eos` are the texts of those tokens (templates use them).
pub fn render(template: &str, messages: &[Message], add_generation_prompt: bool, bos: &str, eos: &str) -> Result<String> {
    if messages.is_empty() {
        return Err(HearthError::InvalidArgument("a chat needs at least one message".into()));
    }
    for (i, m) in messages.iter().enumerate() {
        if !ROLES.contains(&m.role.as_str()) {
            return Err(HearthError::InvalidArgument(format!("message {i} has role '{}'; expected one of {ROLES:?}", m.role)));
        }
    }
    let mut env = minijinja::Environment::new();
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    minijinja_contrib::add_to_environment(&mut env);
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    env.add_function("raise_exception", |msg: String| -> std::result::Result<String, minijinja::Error> {
        Err(minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, msg))
    });
    env.add_template("chat", template).map_err(template_error)?;
    let tmpl = env.get_template("chat").map_err(template_error)?;
    tmpl.render(minijinja::context! {
        messages => messages,
        add_generation_prompt => add_generation_prompt,
        bos_token => bos,
        eos_token => eos,
    })
    .map_err(template_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHATML: &str = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    #[test]
    fn renders_chatml_and_validates_roles() {
        let m = vec![Message { role: "user".into(), content: "Hi".into() }];
        assert_eq!(render(CHATML, &m, true, "", "").unwrap(), "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
        let bad = vec![Message { role: "wizard".into(), content: "x".into() }];
        assert_eq!(render(CHATML, &bad, true, "", "").unwrap_err().code(), "InvalidArgument");
        assert_eq!(render("{{ raise_exception('no system role') }}", &m, true, "", "").unwrap_err().code(), "TemplateError");
        assert_eq!(render("{% for %}", &m, true, "", "").unwrap_err().code(), "TemplateError");
        assert_eq!(render("{{ messages[0].content.strip().upper() }}", &[Message { role: "user".into(), content: " a ".into() }], false, "", "").unwrap(), "A");
    }
}
