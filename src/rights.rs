//! Account rights in code: export and delete (a stub; being written).

/// Exports and deletes a user's data.
#[derive(Debug)]
pub struct AccountRights {}
