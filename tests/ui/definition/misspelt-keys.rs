// A misspelt key is named, with the key meant, and nothing follows: not
// the missing key it was meant to be, nor errors at the uses.
use aigateway_metrics::{Metric, TenantId};

/// Time to answer.
#[derive(Metric)]
#[metric(histogram, name = "aigateway_answer_seconds", bucket = [0.1, 1.0])]
struct Answer<'a> {
    tenant_id: TenantId<'a>,
}

/// Answers.
#[derive(Metric)]
#[metric(counter, nmae = "aigateway_answers_total")]
struct Answers;

/// Retries.
#[derive(Metric)]
#[metric(countr, name = "aigateway_retries_total")]
struct Retries;

fn main() {
    RetriesFamily::new().inc();
    AnswerFamily::new().observe(TenantId("acme"), 0.5).unwrap();
    AnswersFamily::new().inc();
}
