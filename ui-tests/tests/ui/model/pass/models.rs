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

/// Customers with their orders: a response made of models.
#[derive(serde::Serialize, ToSchema)]
pub struct Report {
    pub customers: Vec<Customer>,
    pub biggest: Option<Order>,
}

pub struct Shop;

#[chopin::module(models(Customer, Order))]
impl Shop {
    /// Places several orders at once.
    #[post("/orders")]
    async fn place(Json(orders): Json<Vec<NewOrder>>) -> Json<Vec<Order>> {
        let _ = orders;
        Json(Vec::new())
    }

    #[get("/report")]
    async fn report() -> Json<Report> {
        Json(Report { customers: Vec::new(), biggest: None })
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let database = chopin::DbConfig {
        url: "sqlite::memory:".to_owned(),
        ..Default::default()
    };
    let db = Db::connect(&database).await.expect("connect");
    let config = Config::default().with(database);
    let app = App::with_config(config).mount_module(Shop).with_db(db.clone());

    // A `Vec` of models is an array of references to them, in a body and in a field alike.
    let spec = serde_json::to_value(app.openapi()).expect("json");
    let body = |method: &str, part: &str| {
        spec["paths"]["/orders"][method][part]["content"]["application/json"]["schema"].clone()
    };
    let array_of = |name: &str| {
        serde_json::json!({"type": "array", "items": {"$ref": format!("#/components/schemas/{name}")}})
    };
    assert_eq!(body("post", "requestBody"), array_of("NewOrder"));
    assert_eq!(spec["paths"]["/orders"]["post"]["responses"]["200"]["content"]["application/json"]["schema"], array_of("Order"));
    let report = &spec["components"]["schemas"]["Report"]["properties"];
    assert_eq!(report["customers"], array_of("Customer"));
    assert!(spec["components"]["schemas"]["Order"]["properties"]["total"].is_object());
    assert_eq!(chopin::openapi::unresolved_refs(&app.openapi()), Vec::<String>::new());
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
