// Models in a nested module, one belonging to another by a path, declared by a module and
// migrated on an in-memory database; every generated type is usable from outside.
use chopin::db::Db;
use chopin::prelude::*;

mod shop {
    use chopin::prelude::*;

    /// A customer.
    #[chopin::model(table = "customers")]
    pub struct Customer {
        #[model(primary_key)]
        pub id: i32,
        #[model(email, unique)]
        pub email: String,
        pub born: Option<Date>,
    }

    pub mod orders {
        use chopin::prelude::*;

        #[chopin::model(table = "orders")]
        pub struct Order {
            #[model(primary_key)]
            pub id: i64,
            #[model(belongs_to = super::Customer, on_delete = "set_null")]
            pub customer_id: Option<i32>,
            #[model(range(min = 0.0, max = 10000.0))]
            pub total: f64,
            #[model(default = 1)]
            pub quantity: i16,
            #[model(created_at)]
            pub at: DateTimeUtc,
        }
    }
}

use shop::orders::{NewOrder, Order, OrderPatch, order};
use shop::{Customer, customer};

pub struct Shop;

#[chopin::module(models(Customer, Order))]
impl Shop {}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let database = chopin::DbConfig {
        url: "sqlite::memory:".to_owned(),
        ..Default::default()
    };
    let db = Db::connect(&database).await.expect("connect");
    let config = Config::default().with(database);
    let app = App::with_config(config).mount_module(Shop).with_db(db.clone());
    let report = app.migrate().await.expect("migrate");
    assert_eq!(report.applied.iter().filter(|s| s.starts_with("create table")).count(), 2);

    let customer = customer::ActiveModel {
        email: chopin::db::sea_orm::ActiveValue::Set("ann@shop.example".to_owned()),
        ..Default::default()
    }
    .insert(&*db)
    .await
    .expect("insert");
    let new = NewOrder { customer_id: Some(customer.id), total: 12.5, quantity: None };
    let row = new.into_active_model().expect("valid").insert(&*db).await.expect("insert");
    let order = Order::from(row.clone());
    assert_eq!(order.quantity, 1, "the column's default");
    let patch = OrderPatch { total: Some(-1.0), ..Default::default() };
    assert_eq!(patch.apply(row).err().map(|e| e.status().as_u16()), Some(422));
    assert_eq!(order::Entity::find().all(&*db).await.expect("select").len(), 1);
}
