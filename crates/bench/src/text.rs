//! Deterministic pseudo-random ids and prose, so generated payloads are unique per span and
//! compress about as well as real LLM input and output.

/// SplitMix64: small, fast and good enough to make ids and pick words.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (`bound > 0`).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound
    }

    /// `N` random bytes, never all zero (OTLP ids must not be).
    pub fn id_bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut bytes = [0u8; N];
        for chunk in bytes.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        bytes[0] |= 1;
        bytes
    }

    /// A random UUID-shaped id, as the SDKs generate for batch events.
    pub fn uuid(&mut self) -> String {
        uuid::Uuid::from_u64_pair(self.next_u64(), self.next_u64())
            .hyphenated()
            .to_string()
    }

    /// About `bytes` bytes of sentences.
    pub fn prose(&mut self, bytes: usize) -> String {
        let mut text = String::with_capacity(bytes + 16);
        let mut sentence_start = true;
        while text.len() < bytes {
            let word = WORDS[self.below(WORDS.len() as u64) as usize];
            if sentence_start {
                let mut chars = word.chars();
                if let Some(first) = chars.next() {
                    text.extend(first.to_uppercase());
                    text.push_str(chars.as_str());
                }
                sentence_start = false;
            } else {
                text.push_str(word);
            }
            if self.below(12) == 0 {
                text.push_str(". ");
                sentence_start = true;
            } else if self.below(15) == 0 {
                text.push_str(", ");
            } else {
                text.push(' ');
            }
        }
        text.truncate(bytes.max(1));
        text
    }
}

#[rustfmt::skip]
const WORDS: &[&str] = &[
    "the", "model", "answer", "question", "context", "document", "retrieval", "search", "customer",
    "order", "invoice", "shipping", "refund", "account", "password", "support", "agent", "tool",
    "call", "result", "error", "timeout", "latency", "token", "prompt", "completion", "summary",
    "policy", "product", "warranty", "battery", "display", "network", "database", "query", "index",
    "vector", "embedding", "score", "ranking", "relevant", "passage", "paragraph", "section",
    "chapter", "report", "quarter", "revenue", "growth", "forecast", "budget", "meeting",
    "schedule", "calendar", "reminder", "email", "message", "reply", "draft", "review", "approve",
    "reject", "escalate", "priority", "ticket", "issue", "resolved", "pending", "status", "update",
    "change", "version", "release", "deploy", "server", "client", "request", "response", "header",
    "payload", "format", "json", "table", "column", "value", "number", "date", "time", "today",
    "yesterday", "tomorrow", "week", "month", "year", "please", "thanks", "could", "would",
    "should", "might", "must", "will", "can", "is", "are", "was", "were", "be", "been", "has",
    "have", "had", "do", "does", "did", "and", "or", "but", "if", "then", "because", "so", "with",
    "without", "for", "from", "to", "in", "on", "at", "by", "about", "after", "before", "during",
    "between", "under", "over", "a", "an", "this", "that", "these", "those", "it", "they", "we",
    "you", "I", "our", "your", "their", "its", "my", "new", "old", "first", "last", "next",
    "previous", "best", "better", "good", "bad", "fast", "slow", "large", "small", "high", "low",
    "open", "closed", "free", "paid", "total", "average", "median", "percent", "estimate",
    "explain", "describe", "compare", "list", "show", "find", "check", "verify", "confirm",
    "cancel", "retry",
];

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn prose_has_the_requested_length_and_differs_per_seed() {
        let a = Rng::new(1).prose(2048);
        let b = Rng::new(2).prose(2048);
        assert_eq!(a.len(), 2048);
        assert_ne!(a, b);
    }

    #[test]
    fn ids_are_never_zero() {
        let mut rng = Rng::new(0);
        assert!(rng.id_bytes::<16>().iter().any(|b| *b != 0));
        assert_eq!(rng.uuid().len(), 36);
    }
}
